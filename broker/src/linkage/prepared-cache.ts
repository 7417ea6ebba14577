/**
 * Each source's prepared columns (packed CLKs and popcounts, field filters, blocking tokens with the
 * broker's name key), kept between the engine calls of a run. A full run of n sources has about n²/2
 * partitions, each one call that prepared its one or two sources afresh: at 16 sources every source
 * was prepared about 17 times, and that was a quarter of the engine's time in a partition
 * (docs/runs.md). Only sources that carry a `version` are kept (the run's loader sets it from the
 * submission row: equal versions, equal records), keyed with the run's comparable fields, which
 * decide the columns. The columns are read, never written, by every stage, so one copy serves every
 * call. Bounded by bytes, least recently used first out, and emptied once idle; a kept engine thread
 * that ends takes its cache with it.
 */
import type { FilterSet } from './kernel/index.js';
import type { FieldColumn } from './scoring/field-column.js';

/** One source's columns of PreparedSources. */
export interface SourceColumns {
  clkSet: FilterSet;
  fieldSets: (FieldColumn | null)[];
  blocks: (Uint8Array | null)[];
}

function sizeOf(c: SourceColumns): number {
  let n = c.clkSet.words.byteLength + c.clkSet.pops.byteLength;
  for (const f of c.fieldSets) if (f) n += f.set.words.byteLength + f.set.pops.byteLength + f.present.byteLength;
  for (const b of c.blocks) n += 16 + (b?.byteLength ?? 0);
  return n;
}

export class PreparedCache {
  private readonly entries = new Map<string, { columns: SourceColumns; bytes: number; used: number }>();
  private bytes = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly maxBytes: number,
    readonly idleMs = 120_000,
  ) {}

  /** The columns kept under `key`, or those `make` builds (kept when they fit). */
  columns(key: string, make: () => SourceColumns): SourceColumns {
    const e = this.entries.get(key);
    if (e) {
      // Re-inserted: a Map iterates in insertion order, so the first entry is the least recently used.
      this.entries.delete(key);
      e.used = Date.now();
      this.entries.set(key, e);
      return e.columns;
    }
    const columns = make();
    const bytes = sizeOf(columns);
    if (bytes > this.maxBytes) return columns;
    while (this.bytes + bytes > this.maxBytes) {
      const [k, old] = this.entries.entries().next().value!;
      this.bytes -= old.bytes;
      this.entries.delete(k);
    }
    this.entries.set(key, { columns, bytes, used: Date.now() });
    this.bytes += bytes;
    if (!this.timer) {
      this.timer = setInterval(() => this.prune(Date.now() - this.idleMs), Math.min(this.idleMs, 30_000));
      this.timer.unref();
    }
    return columns;
  }

  /** Drop what was last used before `before` (ms since the epoch). */
  prune(before: number): void {
    for (const [k, e] of this.entries)
      if (e.used < before) {
        this.bytes -= e.bytes;
        this.entries.delete(k);
      }
    if (this.entries.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  get size(): { sources: number; bytes: number } {
    return { sources: this.entries.size, bytes: this.bytes };
  }
}

/**
 * The process's (or engine thread's) cache: 1024 MB unless BLINDLINK_PREPARED_CACHE_MB says otherwise
 * (0 turns it off).
 */
const mb = Number(process.env.BLINDLINK_PREPARED_CACHE_MB ?? 1024);
export const preparedCache = new PreparedCache(Number.isFinite(mb) && mb >= 0 ? mb * 1024 * 1024 : 1024 << 20);
