import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { BrokerKeyring } from '../trust/keys.js';
import { checkpointIfGrown } from './checkpoints.js';
import type { SignedCheckpoint } from '../trust/checkpoint.js';

/**
 * While `serve` runs, the head of the trail is signed at least once a minute whenever rows were
 * appended since the last checkpoint (the every-100-rows checkpoints alone leave a quiet trail's tail
 * unsigned for hours). A tail with a recent signature is what an export cut back to an earlier
 * checkpoint has to be compared with; see docs/audit.md.
 */
export const CHECKPOINT_INTERVAL_MS = 60_000;

export interface CheckpointTimer {
  /** One pass now: signs the head if it grew; null when nothing was written. Tests drive this directly. */
  tick(): Promise<SignedCheckpoint | null>;
  start(): void;
  /** Stop the timer and wait for a pass under way (before the database closes). */
  close(): Promise<void>;
}

export function createCheckpointTimer(opts: {
  db: Kysely<Database>;
  keys: BrokerKeyring;
  logger: FastifyBaseLogger;
  intervalMs?: number;
}): CheckpointTimer {
  const interval = opts.intervalMs ?? CHECKPOINT_INTERVAL_MS;
  let pass: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  const onePass = async (): Promise<SignedCheckpoint | null> => {
    const r = await checkpointIfGrown(opts.db, opts.keys);
    if (!r?.written) return null;
    opts.logger.debug({ seq: r.checkpoint.seq }, 'periodic audit checkpoint signed');
    return r.checkpoint;
  };
  // Passes are chained so they never overlap, even if one outlasts the interval.
  const tick = (): Promise<SignedCheckpoint | null> => {
    const next = pass.then(onePass, onePass);
    pass = next.catch(() => undefined);
    return next;
  };
  const loop = (): void => {
    timer = null;
    if (closed) return;
    tick()
      .catch((err: unknown) =>
        opts.logger.error({ err }, 'periodic audit checkpoint failed; trying again at the next interval'),
      )
      .finally(() => {
        if (!closed) timer = setTimeout(loop, interval).unref();
      });
  };
  return {
    tick,
    start: () => {
      if (closed || timer) return;
      timer = setTimeout(loop, interval).unref();
    },
    close: async () => {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await pass;
    },
  };
}
