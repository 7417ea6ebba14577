/**
 * Sources as they cross to the engine thread: each source's per-record byte arrays (CLKs, field
 * filters, blocking tokens) copied into one buffer with their lengths. Structured clone serialises
 * every typed array as an object of its own; a source of 14,000 records is 42,000 of them, and
 * cloning them was the largest cost left on a worker's main thread (docs/runs.md). The thread gets
 * views into the one buffer back: the same bytes, so the same result.
 */
import type { EngineSource } from '../linkage/types.js';

export interface PackedSource extends Omit<EngineSource, 'clks' | 'fields' | 'blocks'> {
  packed: { bytes: Uint8Array; lengths: Int32Array };
}

const COLUMNS = ['clks', 'fields', 'blocks'] as const;

export function packSource(s: EngineSource): PackedSource {
  const { clks, fields, blocks, ...rest } = s;
  const n = s.tokens.length;
  const lengths = new Int32Array(3 * n);
  let total = 0;
  COLUMNS.forEach((c, k) => {
    const column = s[c];
    for (let r = 0; r < n; r++) {
      const b = column[r];
      // -1: null, kept apart from an empty array (the engine tells them apart).
      lengths[k * n + r] = b ? b.length : -1;
      total += b ? b.length : 0;
    }
  });
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of COLUMNS)
    for (const b of s[c])
      if (b) {
        bytes.set(b, at);
        at += b.length;
      }
  return { ...rest, packed: { bytes, lengths } };
}

export function unpackSource(p: PackedSource): EngineSource {
  const { packed, ...rest } = p;
  const n = p.tokens.length;
  let at = 0;
  const [clks, fields, blocks] = COLUMNS.map((_, k) =>
    Array.from({ length: n }, (_, r) => {
      const len = packed.lengths[k * n + r]!;
      if (len < 0) return null;
      const view = packed.bytes.subarray(at, at + len);
      at += len;
      return view;
    }),
  );
  return { ...rest, clks: clks as Uint8Array[], fields: fields!, blocks: blocks! };
}

/** A call's sources packed (or unpacked), whatever the call; the rest of it as it is. */
export function mapSources<C>(call: C, f: (s: never) => unknown): C {
  const c = call as { input?: { sources?: unknown[] } };
  if (!c.input?.sources) return call;
  return { ...c, input: { ...c.input, sources: c.input.sources.map((s) => f(s as never)) } } as C;
}
