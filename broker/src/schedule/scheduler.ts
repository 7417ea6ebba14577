import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import { ProtocolError } from '@blindlink/protocol';
import { inForce } from '@blindlink/policies';
import type { AuditInput } from '../audit/log.js';
import { appendAudit } from '../audit/log.js';
import type { Database, ScheduleStatus } from '../db/schema.js';
import { queueRun } from '../runs/runs.js';
import { NO_JOBS, type JobQueue } from '../jobs/queue.js';
import { analystPurposes } from '../people/accounts.js';
import { policyInForce, type StoredPolicy } from '../governance/policy-store.js';
import { latestSubmissions } from '../submissions/store.js';
import type { BrokerKeyring } from '../trust/keys.js';
import { claimSchedule, dueSchedules, recordOutcome, type ScheduleRow } from './store.js';

/** How often the scheduler looks for due schedules: schedules are set to the minute. */
export const SCHEDULER_INTERVAL_MS = 60_000;

export interface ScheduledOutcome {
  purpose: string;
  owner: string;
  /** The next_due that was claimed. */
  due: Date;
  status: ScheduleStatus;
  runId: string | null;
  detail: string | null;
}

export interface SchedulerOptions {
  db: Kysely<Database>;
  /** Unused since runs are linked by workers; kept so existing callers need not change. */
  keys?: BrokerKeyring;
  logger: FastifyBaseLogger;
  /** The scheduler's idea of now; tests inject one. */
  clock?: () => Date;
  intervalMs?: number;
  /** Where a due night's run is queued for a worker (jobs/queue.ts). */
  jobs?: JobQueue;
}

export interface Scheduler {
  /** One pass now: claim and run each due schedule in turn. Waits for a pass already under way. */
  tick(): Promise<ScheduledOutcome[]>;
  /** A pass now (so a night missed while the broker was down runs at startup), then every interval. */
  start(): void;
  /** Stop the timer and wait for a pass under way to finish, so its outcome is recorded and audited. */
  close(): Promise<void>;
}

type Attempt = Omit<ScheduledOutcome, 'purpose' | 'owner' | 'due'> & {
  policy: StoredPolicy | null;
  rule: string | null;
  counts: Record<string, number>;
};

/**
 * The scheduler runs a claimed schedule with the authority of its owner: the owner must still be an
 * analyst assigned to the purpose, and the policy must be approved and in force now, as when an
 * analyst starts a run over the API.
 */
async function attempt(db: Kysely<Database>, jobs: JobQueue, s: ScheduleRow, now: Date): Promise<Attempt> {
  const none = { policy: null, rule: null, runId: null, counts: {} };
  if (!(await analystPurposes(db, s.owner)).includes(s.purpose)) {
    return {
      ...none,
      status: 'refused',
      detail: `the schedule's owner ${s.owner} is no longer an analyst assigned to purpose ${s.purpose}`,
    };
  }
  let policy: StoredPolicy;
  try {
    policy = await policyInForce(db, s.purpose, now);
  } catch (err) {
    if (err instanceof ProtocolError) return { ...none, status: 'refused', detail: err.message };
    throw err;
  }
  const doc = policy.document;
  const refused = (rule: string, why: string): Attempt => ({
    ...none,
    policy,
    rule,
    status: 'refused',
    detail: `policy ${doc.id} v${doc.version}: ${why}`,
  });
  if (!policy.approval) return refused('approval', 'not approved by an IG lead, so not in force');
  if (!inForce(doc, now)) return refused('validity', `not in force (valid ${doc.validFrom} to ${doc.validUntil})`);

  // Nothing new since the last completed run under this policy version: relinking would repeat it.
  const contributors = new Set(doc.contributors.map((c) => c.agency));
  const latest = (await latestSubmissions(db, s.purpose))
    .filter((x) => contributors.has(x.agency))
    .map((x) => x.id)
    .sort();
  const last = await db
    .selectFrom('run')
    .select(['id', 'submission_ids', 'policy_version'])
    .where('purpose', '=', s.purpose)
    .where('status', '=', 'completed')
    .orderBy('started_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (last && last.policy_version === doc.version && [...last.submission_ids].sort().join() === latest.join()) {
    return { ...none, policy, status: 'skipped', runId: last.id, detail: `no new submissions since run ${last.id}` };
  }

  try {
    // Queued for a worker, never linked here: the job records the run's end on the schedule and audits it.
    const run = await queueRun(db, s.purpose, { at: now, scheduledBy: s.owner }, jobs.enqueue);
    jobs.queued(run.runId);
    return { policy, rule: null, status: 'queued', runId: run.runId, detail: null, counts: { sources: run.sources } };
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    if (err.code === 'policy-refused')
      return { ...none, policy, rule: String(err.details?.rule ?? ''), status: 'refused', detail: err.message };
    // e.g. fewer than two agencies have submitted
    return { ...none, policy, status: 'failed', detail: `${err.code}: ${err.message}` };
  }
}

const DECISION = {
  queued: 'allowed',
  completed: 'allowed',
  skipped: 'allowed',
  refused: 'refused',
  failed: 'failed',
} as const;

/** Attempt one claimed schedule, audit it, and record the outcome on the schedule. */
export async function runClaimed(
  db: Kysely<Database>,
  jobs: JobQueue,
  s: ScheduleRow,
  due: Date,
  now: Date,
): Promise<ScheduledOutcome> {
  let a: Attempt;
  try {
    a = await attempt(db, jobs, s, now);
  } catch (err) {
    // Storage trouble and the like: still audited and recorded, and the next night tries again.
    a = {
      policy: null,
      rule: null,
      runId: null,
      counts: {},
      status: 'failed',
      detail: err instanceof Error ? err.message : String(err),
    };
  }
  const doc = a.policy?.document;
  const what =
    a.status === 'queued'
      ? `run ${a.runId} queued`
      : a.status === 'completed'
        ? `run ${a.runId} completed`
        : a.status === 'failed' && a.runId
          ? `run ${a.runId} failed: ${a.detail}`
          : `${a.status}: ${a.detail}`;
  const entry: AuditInput = {
    actor: `scheduler:${s.owner}`,
    action: 'run.scheduled',
    purpose: s.purpose,
    policyId: doc?.id ?? null,
    policyVersion: doc?.version ?? null,
    policyRule: a.rule,
    decision: DECISION[a.status],
    status: 0,
    reason: `nightly schedule ${s.time_of_day} ${s.time_zone} of analyst ${s.owner}, due ${due.toISOString()}: ${what}`,
    counts: a.counts,
    releaseDigest: null,
  };
  await appendAudit(db, entry);
  await recordOutcome(db, s.purpose, { status: a.status, runId: a.runId, detail: a.detail, at: now });
  return { purpose: s.purpose, owner: s.owner, due, status: a.status, runId: a.runId, detail: a.detail };
}

export function createScheduler(opts: SchedulerOptions): Scheduler {
  const { db, logger } = opts;
  const jobs = opts.jobs ?? NO_JOBS;
  const clock = opts.clock ?? (() => new Date());
  const interval = opts.intervalMs ?? SCHEDULER_INTERVAL_MS;
  let pass: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  let started = false;

  const onePass = async (): Promise<ScheduledOutcome[]> => {
    const outcomes: ScheduledOutcome[] = [];
    // One at a time, claimed just before it runs: what this broker has not claimed stays for another.
    for (const seen of await dueSchedules(db, clock())) {
      if (closed) break;
      const now = clock();
      const claimed = await claimSchedule(db, seen, now);
      if (!claimed) continue; // another broker claimed it, or it was changed meanwhile
      const o = await runClaimed(db, jobs, claimed, seen.next_due, now);
      logger.info(
        { purpose: o.purpose, status: o.status, runId: o.runId },
        `scheduled run for ${o.purpose}: ${o.status}`,
      );
      outcomes.push(o);
    }
    return outcomes;
  };

  // Passes are chained, so a pass never overlaps another (a run can outlast the interval).
  const tick = (): Promise<ScheduledOutcome[]> => {
    const next = pass.then(onePass, onePass);
    pass = next.catch(() => undefined);
    return next;
  };

  const loop = (): void => {
    timer = null;
    if (closed) return;
    tick()
      // Storage trouble (a lost connection, the server restarting): logged by code and message only,
      // never the error object (pg hangs a statement's detail and parameters on it), and retried.
      .catch((err: unknown) => {
        const e = (err ?? {}) as { code?: unknown; message?: unknown };
        logger.error({ code: e.code, message: e.message }, 'scheduler pass failed; trying again at the next interval');
      })
      .finally(() => {
        // unref: a pending timer never keeps the process alive.
        if (!closed) timer = setTimeout(loop, interval).unref();
      });
  };

  return {
    tick,
    start: () => {
      if (started || closed) return;
      started = true;
      loop();
    },
    close: async () => {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await pass;
    },
  };
}
