/**
 * One attempt at a queued run: claiming the run row (attempt + 1), heartbeats from a timer while the
 * engine works in its thread, and the engine's progress written to the run row, throttled. Only the
 * newest attempt may write: every write checks the attempt number, and a write that finds a newer
 * one marks this attempt superseded.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { EngineProgress } from '../linkage/types.js';

/** A newer attempt took the run over (this one was presumed dead): it must store nothing. */
export class SupersededError extends Error {}

/** Claim a queued or running run for a new attempt; undefined when it is completed, failed or gone. */
export async function claimRun(db: Kysely<Database>, runId: string, workerId: string | undefined) {
  return db
    .updateTable('run')
    .set((eb) => ({
      status: 'running',
      attempt: eb('attempt', '+', 1),
      worker_id: workerId ?? null,
      heartbeat_at: new Date(),
      stage: 'loading',
      progress: null,
      error: null,
    }))
    .where('id', '=', runId)
    .where('status', 'in', ['queued', 'running'])
    .returningAll()
    .executeTakeFirst();
}

type RunProgressColumns = { stage?: string; progress?: string };

/** The attempt's writes to its run row: heartbeats on a timer, and progress at most once per interval. */
export class RunAttempt {
  /** A write found a newer attempt. */
  superseded = false;
  /** The engine's last progress, written or not. */
  latest: EngineProgress | null = null;
  private pending: Promise<void> = Promise.resolve();
  private lastWrite = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly db: Kysely<Database>,
    readonly runId: string,
    readonly attempt: number,
    private readonly intervalMs: number,
  ) {
    // Heartbeats come from a timer: they go on while the engine works in its thread.
    this.timer = setInterval(() => this.queueWrite(), intervalMs);
    this.timer.unref();
  }

  /** A query on the run row, restricted to this attempt. */
  // biome-ignore lint/suspicious/noExplicitAny: kysely's where() overloads differ per builder; this takes any of them
  mine<T extends { where: (...a: any[]) => T }>(q: T): T {
    return q.where('id', '=', this.runId).where('attempt', '=', this.attempt);
  }

  /** Tell the run row the engine's progress; `force` writes now, else at most once per interval. */
  report(p: EngineProgress, force = false): void {
    this.latest = p;
    const now = Date.now();
    if (!force && now - this.lastWrite < this.intervalMs) return;
    this.lastWrite = now;
    const { stage, ...counts } = p;
    this.queueWrite({ stage, progress: JSON.stringify(counts) });
  }

  /** Stop the heartbeats and wait for the writes already queued. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.pending;
  }

  private queueWrite(extra?: RunProgressColumns): void {
    this.pending = this.pending.then(() => this.beat(extra)).catch(() => {});
  }

  private async beat(extra: RunProgressColumns = {}): Promise<void> {
    const r = await this.mine(this.db.updateTable('run').set({ heartbeat_at: new Date(), ...extra }))
      .where('status', '=', 'running')
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) this.superseded = true;
  }
}
