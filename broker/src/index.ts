/**
 * @blindlink/broker — the trusted third party: links encodings it cannot read and releases only what a
 * policy allows. Layers, one way: `http/` (thin routes, hooks) → `services/` (one use case a file) →
 * domain modules (`submissions/`, `uploads/`, `agencies/`, `people/`, `governance/`, `releases/`,
 * `audit/`, `trust/`, `schedule/`, `retention/`, `review/`: clerical-review pairs and verdicts) →
 * `db/` (Kysely, PostgreSQL or the embedded PGlite).
 * `linkage/` is the engine as pure functions, run as graphile-worker jobs (`jobs/`); `privacy/` attacks
 * its own encodings for the privacy report, and `privacy-reports/` computes one per submission (a
 * job) and stores it for the IG lead who approves the purpose's policy; `prng.ts` holds every seeded
 * generator step; `cli/` the `blindlink-broker` commands by group. It never imports the agency client's encoding code.
 */
export { buildApp, type AppOptions } from './http/app.js';
export { startBroker, type BrokerConfig, type RunningBroker } from './server.js';
export { openDatabase, type DatabaseHandle } from './db/connect.js';
export { isConnectionLost, DATABASE_RETRY_AFTER_SECONDS } from './db/connection-errors.js';
export { AUDIT_APPEND_ATTEMPTS } from './services/audit-row.js';
export { migrateToLatest } from './db/migrate.js';
export type { Database } from './db/schema.js';
export { registerAgency, enrolAgency, revokeAgency, reissueEnrolmentCode } from './agencies/registry.js';
export { storePolicy, policyInForce, approvePolicy, listPolicies } from './governance/policy-store.js';
export { addPerson, login, generatePassword } from './people/accounts.js';
export { appendAudit, verifyAuditChain } from './audit/log.js';
export { createLogger, REDACT_PATHS } from './logger.js';
export { main as brokerCli } from './cli/index.js';
export {
  link,
  linkFinish,
  linkPartition,
  linkScored,
  fitRun,
  scoreChunk,
  scoringSample,
  planPartitions,
  checkCompatible,
} from './linkage/engine.js';
export { carryFloor } from './linkage/entity-resolution.js';
export { estimateQuality, type LinkageEstimates } from './linkage/estimates.js';
export { blockSimilarities, prepareSources } from './linkage/prepare.js';
export { uncertainPairs } from './releases/clerical-review.js';
export type { ReviewLabel } from './linkage/review-labels.js';
export { apartEvidence, DOB_APART, DOB_SAME, undatedRecords } from './linkage/apart.js';
export { decodeChunk, decodePartition, encodeChunk, encodePartition } from './runs/partitions.js';
export { decodeTyped, encodeTyped } from './runs/state.js';
export { recordKey } from './linkage/record-key.js';
export type { EngineSource, EngineResult } from './linkage/types.js';
export { debiasedDice } from './linkage/scoring/field-dice.js';
export {
  linkIncremental,
  linkWithModel,
  previousRunOf,
  modelToStore,
  sortByRecordKey,
  type IncrementalStats,
  type PreviousRun,
  type StoredModel,
} from './linkage/engine-incremental.js';
export { decodeModel } from './runs/state.js';
export { linkFiles, readSource, writeEntities } from './runs/offline-link.js';
export { runLinkage, type RunOptions, type RunResult } from './runs/runs.js';
export { purge, purgeUploads, type PurgeResult } from './retention/purge.js';
export { purgeAbandonedUploads, UPLOAD_IDLE_LIFETIME_MS } from './uploads/store.js';
export { openEncoding } from './submissions/payload.js';
export {
  createScheduler,
  runClaimed,
  SCHEDULER_INTERVAL_MS,
  type Scheduler,
  type ScheduledOutcome,
} from './schedule/scheduler.js';
export { nextDue, parseTimeOfDay, canonicalTimeZone, resolveLocal, formatLocal } from './schedule/next-due.js';
export { claimSchedule, listSchedules, setSchedule, getSchedule } from './schedule/store.js';
export { queueRun, executeRun, inlineEngine, type EngineRunner, type QueuedRun } from './runs/runs.js';
export { threadEngine } from './jobs/engine-thread.js';
export { startJobWorker, STALE_AFTER_MS, type JobWorker } from './jobs/graphile-runner.js';
export type { WorkerMode } from './jobs/start-jobs.js';
export { graphileQueue, RUN_TASK, type JobQueue } from './jobs/queue.js';
export { runStatus } from './jobs/status.js';
export { purposeReport, purposeDigest, type PurposeReport } from './privacy-reports/purpose.js';
export { executePrivacyReport, type ReportRunner } from './privacy-reports/execute.js';
export { REPORT_SAMPLE, loadReportSource } from './privacy-reports/load.js';
export { REPORT_MAX_ATTEMPTS } from './privacy-reports/queue.js';
export { threadReport } from './jobs/privacy-thread.js';
export { startEmbeddedRunner } from './jobs/embedded-runner.js';
