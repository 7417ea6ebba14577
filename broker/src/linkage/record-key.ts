import { createHash } from 'node:crypto';
import type { EngineSource } from './types.js';

/**
 * Stable key of a record across runs: the source and a digest of its encodings. A daily extract
 * re-encodes every row with fresh random row tokens, but an unchanged person encodes to the same
 * bytes, so its key — and through it the entity id — carries over.
 */
export function recordKey(source: string, clk: Uint8Array, fields: Uint8Array | null): string {
  const h = createHash('sha256').update(clk);
  if (fields) h.update(fields);
  return `${source}:${h.digest('base64url').slice(0, 22)}`;
}

/** The key of every record, in global order (sources concatenated, source i starting at offsets[i]). */
export function recordKeysOf(sources: EngineSource[], offsets: readonly number[], total: number): string[] {
  const keys: string[] = new Array(total);
  sources.forEach((s, i) => {
    for (let r = 0; r < s.tokens.length; r++)
      keys[offsets[i]! + r] = recordKey(s.name, s.clks[r]!, s.fields[r] ?? null);
  });
  return keys;
}
