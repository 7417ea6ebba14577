/**
 * American Soundex (the US National Archives rules), the phonetic code behind the surname blocking
 * key: names that sound alike ("Smith", "Smyth", "Smithe") share a code, so a spelling difference
 * does not split a true pair across blocks. Input: a normalised name (lower-case a–z); other
 * characters are skipped. Output: a letter and three digits, e.g. "S530"; "" for no letters.
 */
const CODES: Readonly<Record<string, string>> = {
  b: '1',
  f: '1',
  p: '1',
  v: '1',
  c: '2',
  g: '2',
  j: '2',
  k: '2',
  q: '2',
  s: '2',
  x: '2',
  z: '2',
  d: '3',
  t: '3',
  l: '4',
  m: '5',
  n: '5',
  r: '6',
};

export function soundex(name: string): string {
  const letters = name.toLowerCase().replace(/[^a-z]/g, '');
  const first = letters.charAt(0);
  if (first === '') return '';
  let out = first.toUpperCase();
  let prev = CODES[first] ?? '';
  for (let i = 1; i < letters.length && out.length < 4; i++) {
    const ch = letters.charAt(i);
    const code = CODES[ch];
    if (code !== undefined) {
      if (code !== prev) out += code;
      prev = code;
    } else if (ch !== 'h' && ch !== 'w') {
      // A vowel (or y) separates equal codes; h and w do not.
      prev = '';
    }
  }
  return out.padEnd(4, '0');
}
