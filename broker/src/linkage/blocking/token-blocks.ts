/**
 * Blocking on the keyed blocking tokens agencies send: two records are candidates when they share
 * a token (equal token = equal blocking-key value, e.g. surname Soundex + year of birth). The
 * broker cannot read the tokens; it only joins on equality.
 *
 * Join by sorting rather than a hash map: every token occurrence becomes (first 4 bytes as a u32,
 * occurrence index), radix-sorted; runs with an equal prefix are then split on all 16 bytes. For
 * millions of records this stays in a few typed arrays instead of millions of strings and arrays.
 * A token shared by more than `maxBlockSize` records on one side (a near-constant key value, or a
 * placeholder such as a default date) says little and would emit a quadratic number of pairs: the
 * block is skipped and counted.
 */
import { PairCollector } from './pair-collector.js';
import type { PairList } from './pair-collector.js';
import { sortKeyed } from './radix-sort.js';
import { checkMarks } from './touching.js';
import type { TouchingMarks } from './touching.js';

export const TOKEN_BYTES = 16;
export const DEFAULT_MAX_BLOCK_SIZE = 1000;

/** Per record: its tokens concatenated (16·k bytes, k ≥ 0), or null/undefined for none. */
export type RecordTokens = Uint8Array | null | undefined;

export interface TokenBlockingOptions {
  /** A block with more records than this on either side is skipped (default 1000). */
  maxBlockSize?: number;
  /** Only pairs with a marked record (see touching.ts); block sizes still count every record. */
  touching?: TouchingMarks;
}

export interface TokenBlockingResult {
  pairs: PairList;
  /** Distinct token values seen on both sides (A × B) or at least twice (dedup). */
  blocks: number;
  /** Blocks skipped because they were too large, and the pairs they would have given. */
  skippedBlocks: number;
  skippedPairs: number;
}

interface Occurrences {
  /** Every token, 16 bytes each, occurrence order (A's records first, then B's). */
  flat: Uint32Array;
  /** Record index of each occurrence. */
  record: Uint32Array;
  /** Occurrences belonging to A; those at or after this index belong to B. */
  countA: number;
}

function tokenCount(side: readonly RecordTokens[], name: string): number {
  let n = 0;
  for (let r = 0; r < side.length; r++) {
    const t = side[r];
    if (!t) continue;
    if (t.length % TOKEN_BYTES !== 0) {
      throw new RangeError(
        `blocking tokens of ${name} record ${r}: ${t.length} bytes is not a multiple of ${TOKEN_BYTES}`,
      );
    }
    n += t.length / TOKEN_BYTES;
  }
  return n;
}

function gather(A: readonly RecordTokens[], B: readonly RecordTokens[] | null): Occurrences {
  const countA = tokenCount(A, 'A');
  const total = countA + (B ? tokenCount(B, 'B') : 0);
  if (total > 0xffffffff) throw new RangeError('too many blocking tokens');
  // Copy into a word-aligned buffer so that tokens compare as four u32s.
  const bytes = new Uint8Array(total * TOKEN_BYTES);
  const record = new Uint32Array(total);
  let at = 0;
  for (const side of B ? [A, B] : [A]) {
    for (let r = 0; r < side.length; r++) {
      const t = side[r];
      if (!t || t.length === 0) continue;
      bytes.set(t, at * TOKEN_BYTES);
      record.fill(r, at, at + t.length / TOKEN_BYTES);
      at += t.length / TOKEN_BYTES;
    }
  }
  return { flat: new Uint32Array(bytes.buffer), record, countA };
}

function sameToken(flat: Uint32Array, x: number, y: number): boolean {
  const p = x * 4;
  const q = y * 4;
  return (
    flat[p] === flat[q] && flat[p + 1] === flat[q + 1] && flat[p + 2] === flat[q + 2] && flat[p + 3] === flat[q + 3]
  );
}

/**
 * Candidate pairs from shared tokens. With B, pairs are (index in A, index in B); with B null,
 * pairs within A with i < j (never (i, i), never both orders). Sorted and duplicate-free.
 */
export function tokenBlockPairs(
  A: readonly RecordTokens[],
  B: readonly RecordTokens[] | null,
  opts: TokenBlockingOptions = {},
): TokenBlockingResult {
  const maxBlock = opts.maxBlockSize ?? DEFAULT_MAX_BLOCK_SIZE;
  if (!(maxBlock >= 1)) throw new RangeError(`maxBlockSize must be at least 1, got ${maxBlock}`);
  const marks = opts.touching;
  if (marks) checkMarks(marks, A.length, B ? B.length : null);
  const markedA = (r: number) => !marks || marks.a[r] === 1;
  const markedB = (r: number) => !marks || marks.b![r] === 1;
  const occ = gather(A, B);
  const n = occ.record.length;
  const keys = new Uint32Array(n);
  const ids = new Uint32Array(n);
  for (let e = 0; e < n; e++) {
    keys[e] = occ.flat[e * 4] as number;
    ids[e] = e;
  }
  // Stable sort: within a run, A's occurrences (lower ids) come before B's.
  const byPrefix = sortKeyed(keys, ids, n, new Uint32Array(n), new Uint32Array(n));
  const prefixes = byPrefix.keys;
  const sorted = byPrefix.values;

  const out = new PairCollector(Math.max(1024, n));
  let blocks = 0;
  let skippedBlocks = 0;
  let skippedPairs = 0;
  // Scratch: the occurrences of one run, split into groups of identical tokens.
  let run: Uint32Array = new Uint32Array(64);
  let rest: Uint32Array = new Uint32Array(64);
  let recA: Uint32Array = new Uint32Array(64);
  let recB: Uint32Array = new Uint32Array(64);

  const anyMarked = (na: number, nb: number): boolean => {
    for (let x = 0; x < na; x++) if (markedA(recA[x] as number)) return true;
    for (let y = 0; y < nb; y++) if (markedB(recB[y] as number)) return true;
    return false;
  };
  const emitGroup = (group: Uint32Array, size: number): void => {
    if (recA.length < size) {
      recA = new Uint32Array(size * 2);
      recB = new Uint32Array(size * 2);
    }
    let na = 0;
    let nb = 0;
    for (let g = 0; g < size; g++) {
      const e = group[g] as number;
      if (e < occ.countA) recA[na++] = occ.record[e] as number;
      else recB[nb++] = occ.record[e] as number;
    }
    if (marks && !anyMarked(na, nb)) return;
    if (B) {
      if (na === 0 || nb === 0) return;
      blocks++;
      if (na > maxBlock || nb > maxBlock) {
        skippedBlocks++;
        skippedPairs += na * nb;
        return;
      }
      for (let x = 0; x < na; x++) {
        const i = recA[x] as number;
        const iMarked = markedA(i);
        for (let y = 0; y < nb; y++) if (iMarked || markedB(recB[y] as number)) out.push(i, recB[y] as number);
      }
    } else {
      if (na < 2) return;
      blocks++;
      if (na > maxBlock) {
        skippedBlocks++;
        skippedPairs += (na * (na - 1)) / 2;
        return;
      }
      // Records ascend within a group (stable sort of occurrences in record order).
      for (let x = 0; x < na; x++) {
        const i = recA[x] as number;
        const iMarked = markedA(i);
        for (let y = x + 1; y < na; y++) {
          const j = recA[y] as number;
          if (j !== i && (iMarked || markedA(j))) out.push(i, j);
        }
      }
    }
  };

  let start = 0;
  while (start < n) {
    const prefix = prefixes[start] as number;
    let end = start + 1;
    while (end < n && prefixes[end] === prefix) end++;
    const len = end - start;
    if (len > 1) {
      if (run.length < len) {
        run = new Uint32Array(len * 2);
        rest = new Uint32Array(len * 2);
      }
      run.set(sorted.subarray(start, end));
      // Split the run into groups of identical tokens (one group, bar a 2^-32 prefix collision).
      let m = len;
      while (m > 1) {
        const rep = run[0] as number;
        let g = 1;
        let r = 0;
        for (let x = 1; x < m; x++) {
          const e = run[x] as number;
          if (sameToken(occ.flat, rep, e)) run[g++] = e;
          else rest[r++] = e;
        }
        emitGroup(run, g);
        [run, rest] = [rest, run];
        m = r;
      }
    }
    start = end;
  }
  return { pairs: out.finish(), blocks, skippedBlocks, skippedPairs };
}
