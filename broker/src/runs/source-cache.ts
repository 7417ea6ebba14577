/**
 * Decrypted submissions a worker process keeps between the jobs of a run. A full run of n sources
 * has about n²/2 partitions, each decrypting its two sources, plus the sample and the finish reading
 * all of them: at 16 sources every source was read and decrypted about 18 times. Kept here, a worker
 * decrypts each once (docs/runs.md). Keyed by submission and the moment it last changed (a
 * withdrawal rewrites a submission's rows in place and moves `current_at`), so a changed submission
 * is read afresh. Bounded by bytes, least recently used first out, and emptied once idle: the
 * decrypted encodings stay in memory no longer than the runs that need them.
 */
import type { EngineSource } from '../linkage/types.js';

/** What a cached source is keyed on: the submission row as the run read it. */
export interface SourceVersion {
  id: string;
  current_at: Date;
  record_count: number;
}

/** A submission's version as it was read: its rows change only with `current_at` (EngineSource.version). */
export const sourceVersion = (s: SourceVersion) => `${s.id}@${s.current_at.getTime()}:${s.record_count}`;
const keyOf = sourceVersion;

/** Bytes a decrypted source holds, roughly: its filters and tokens (the arrays' own overhead aside). */
function sizeOf(s: EngineSource): number {
  let n = 0;
  for (let r = 0; r < s.tokens.length; r++)
    n +=
      64 +
      s.tokens[r]!.length +
      s.clks[r]!.byteLength +
      (s.fields[r]?.byteLength ?? 0) +
      (s.blocks[r]?.byteLength ?? 0);
  return n;
}

export class SourceCache {
  private readonly entries = new Map<string, { source: EngineSource; bytes: number; used: number }>();
  private bytes = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly maxBytes: number,
    // A source of a run is used again a row of partitions later: at 16 sources of 20,000 on a loaded
    // machine that was more than two minutes.
    readonly idleMs = 600_000,
  ) {
    this.timer = setInterval(() => this.prune(Date.now() - this.idleMs), Math.min(idleMs, 60_000));
    this.timer.unref();
  }

  get(v: SourceVersion): EngineSource | undefined {
    const key = keyOf(v);
    const e = this.entries.get(key);
    if (!e) return undefined;
    // Re-inserted: a Map iterates in insertion order, so the first entry is the least recently used.
    this.entries.delete(key);
    e.used = Date.now();
    this.entries.set(key, e);
    return e.source;
  }

  set(v: SourceVersion, source: EngineSource): void {
    const key = keyOf(v);
    const bytes = sizeOf(source);
    if (bytes > this.maxBytes) return;
    const old = this.entries.get(key);
    if (old) {
      this.bytes -= old.bytes;
      this.entries.delete(key);
    }
    // Another version of the same submission will not be asked for again.
    for (const [k, e] of this.entries)
      if (k.startsWith(`${v.id}@`)) {
        this.bytes -= e.bytes;
        this.entries.delete(k);
      }
    while (this.bytes + bytes > this.maxBytes) {
      const [k, e] = this.entries.entries().next().value!;
      this.bytes -= e.bytes;
      this.entries.delete(k);
    }
    this.entries.set(key, { source, bytes, used: Date.now() });
    this.bytes += bytes;
  }

  /** Drop what was last used before `before` (ms since the epoch). */
  prune(before: number): void {
    for (const [k, e] of this.entries)
      if (e.used < before) {
        this.bytes -= e.bytes;
        this.entries.delete(k);
      }
  }

  get size(): { sources: number; bytes: number } {
    return { sources: this.entries.size, bytes: this.bytes };
  }
}

/**
 * The process's cache: 512 MB of decrypted encodings unless BLINDLINK_SOURCE_CACHE_MB says otherwise
 * (0 turns it off).
 */
const mb = Number(process.env.BLINDLINK_SOURCE_CACHE_MB ?? 512);
export const sourceCache = new SourceCache(Number.isFinite(mb) && mb >= 0 ? mb * 1024 * 1024 : 512 * 1024 * 1024);
