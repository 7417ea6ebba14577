/** Deepest JSON nesting any route accepts: the protocol's own bodies are a handful of levels deep. */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 34; // "
const BACKSLASH = 92;
const OPEN_OBJECT = 123; // {
const OPEN_ARRAY = 91; // [
const CLOSE_OBJECT = 125; // }
const CLOSE_ARRAY = 93; // ]

/**
 * Whether JSON text opens more than `max` objects or arrays inside one another, counted outside
 * strings. One pass over the char codes, no recursion: it runs before JSON.parse, so a body nested
 * thousands deep is refused before any recursive walk (validation, the NUL check) meets it. It does
 * not check the JSON is well formed; JSON.parse does that next.
 */
export function jsonDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > max) return true;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
    }
  }
  return false;
}
