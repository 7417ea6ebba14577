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
 * block is skipped and counted. With `largeBlockSize`, the pairs of blocks larger than that (but
 * not skipped) are returned apart, for the caller to keep only those the records' encodings support.
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
  /**
   * A block with more records than this on either side (and not skipped) gives its pairs to `large`
   * rather than `pairs` (default: none does).
   */
  largeBlockSize?: number;
  /** Only pairs with a marked record (see touching.ts); block sizes still count every record. */
  touching?: TouchingMarks;
}

export interface TokenBlockingResult {
  pairs: PairList;
  /** Pairs of the large blocks (see `largeBlockSize`), some of which may be in `pairs` too. */
  large: PairList;
  largeBlocks: number;
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
  const large = opts.largeBlockSize ?? Number.POSITIVE_INFINITY;
  if (!(large >= 1)) throw new RangeError(`largeBlockSize must be at least 1, got ${large}`);
  if (opts.touching) checkMarks(opts.touching, A.length, B ? B.length : null);
  const occ = gather(A, B);
  const blocks = new BlockPairs(occ, Boolean(B), maxBlock, large, opts.touching);
  forEachTokenGroup(occ, (group, size) => blocks.add(group, size));
  return blocks.finish();
}

/** Occurrence ids sorted by their token's first word (stable: within a run, A's come before B's). */
function sortByPrefix(occ: Occurrences): { prefixes: Uint32Array; sorted: Uint32Array } {
  const n = occ.record.length;
  const keys = new Uint32Array(n);
  const ids = new Uint32Array(n);
  for (let e = 0; e < n; e++) {
    keys[e] = occ.flat[e * 4] as number;
    ids[e] = e;
  }
  const byPrefix = sortKeyed(keys, ids, n, new Uint32Array(n), new Uint32Array(n));
  return { prefixes: byPrefix.keys, sorted: byPrefix.values };
}

/**
 * Every group of two or more occurrences of one token, in prefix order: each run of equal prefixes
 * is split on all 16 bytes. `group` is scratch, valid for the call only.
 */
function forEachTokenGroup(occ: Occurrences, visit: (group: Uint32Array, size: number) => void): void {
  const { prefixes, sorted } = sortByPrefix(occ);
  const n = prefixes.length;
  let run: Uint32Array = new Uint32Array(64);
  let rest: Uint32Array = new Uint32Array(64);
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
        visit(run, g);
        [run, rest] = [rest, run];
        m = r;
      }
    }
    start = end;
  }
}

/** The pairs of each group of one token's occurrences, with blocks too large skipped and counted. */
class BlockPairs {
  private readonly small: PairCollector;
  private readonly large: PairCollector;
  private largeBlocks = 0;
  private blocks = 0;
  private skippedBlocks = 0;
  private skippedPairs = 0;
  // Scratch: the A and B records of one group.
  private recA: Uint32Array = new Uint32Array(64);
  private recB: Uint32Array = new Uint32Array(64);

  constructor(
    private readonly occ: Occurrences,
    private readonly across: boolean,
    private readonly maxBlock: number,
    private readonly largeBlock: number,
    private readonly marks: TouchingMarks | undefined,
  ) {
    this.small = new PairCollector(Math.max(1024, occ.record.length));
    this.large = new PairCollector(largeBlock < maxBlock ? Math.max(1024, occ.record.length) : 16);
  }

  add(group: Uint32Array, size: number): void {
    if (this.recA.length < size) {
      this.recA = new Uint32Array(size * 2);
      this.recB = new Uint32Array(size * 2);
    }
    let na = 0;
    let nb = 0;
    for (let g = 0; g < size; g++) {
      const e = group[g] as number;
      if (e < this.occ.countA) this.recA[na++] = this.occ.record[e] as number;
      else this.recB[nb++] = this.occ.record[e] as number;
    }
    if (this.marks && !this.anyMarked(na, nb)) return;
    if (this.across) this.addAcross(na, nb);
    else this.addWithin(na);
  }

  finish(): TokenBlockingResult {
    const { blocks, skippedBlocks, skippedPairs, largeBlocks } = this;
    return { pairs: this.small.finish(), large: this.large.finish(), largeBlocks, blocks, skippedBlocks, skippedPairs };
  }

  private markedA(r: number): boolean {
    return !this.marks || this.marks.a[r] === 1;
  }

  private markedB(r: number): boolean {
    return !this.marks || this.marks.b![r] === 1;
  }

  private anyMarked(na: number, nb: number): boolean {
    for (let x = 0; x < na; x++) if (this.markedA(this.recA[x] as number)) return true;
    for (let y = 0; y < nb; y++) if (this.markedB(this.recB[y] as number)) return true;
    return false;
  }

  private collectorFor(isLarge: boolean): PairCollector {
    if (!isLarge) return this.small;
    this.largeBlocks++;
    return this.large;
  }

  private addAcross(na: number, nb: number): void {
    if (na === 0 || nb === 0) return;
    this.blocks++;
    if (na > this.maxBlock || nb > this.maxBlock) {
      this.skippedBlocks++;
      this.skippedPairs += na * nb;
      return;
    }
    const out = this.collectorFor(na > this.largeBlock || nb > this.largeBlock);
    const { recA, recB } = this;
    for (let x = 0; x < na; x++) {
      const i = recA[x] as number;
      const iMarked = this.markedA(i);
      for (let y = 0; y < nb; y++) if (iMarked || this.markedB(recB[y] as number)) out.push(i, recB[y] as number);
    }
  }

  private addWithin(na: number): void {
    if (na < 2) return;
    this.blocks++;
    if (na > this.maxBlock) {
      this.skippedBlocks++;
      this.skippedPairs += (na * (na - 1)) / 2;
      return;
    }
    // Records ascend within a group (stable sort of occurrences in record order).
    const out = this.collectorFor(na > this.largeBlock);
    const { recA } = this;
    for (let x = 0; x < na; x++) {
      const i = recA[x] as number;
      const iMarked = this.markedA(i);
      for (let y = x + 1; y < na; y++) {
        const j = recA[y] as number;
        if (j !== i && (iMarked || this.markedA(j))) out.push(i, j);
      }
    }
  }
}
