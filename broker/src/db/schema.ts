import type { ColumnType, Generated, JSONColumnType } from 'kysely';

/** Table types for Kysely. Each migration that changes a table changes its type here too. */

export interface AgencyTable {
  slug: string;
  display_name: string;
  /** sha256 of the one-time enrolment code (the code is shown once); cleared when used. */
  enrolment_code_hash: string | null;
  enrolment_expires_at: Date | null;
  /** The agency's Ed25519 public key (base64), registered at enrolment: submissions are signed with it. */
  signing_public_key: string | null;
  enrolled_at: Date | null;
  created_at: ColumnType<Date, Date, never>;
}

export interface AgencyCertificateTable {
  serial: string;
  agency: string;
  thumbprint: string;
  issued_at: Date;
  not_after: Date;
  revoked_at: Date | null;
  certificate: string;
}

export interface AuditCheckpointTable {
  seq: number;
  hash: string;
  at: string;
  broker_key_id: string;
  signature: string;
}

export interface PolicyTable {
  id: string;
  version: number;
  purpose: string;
  content_hash: string;
  document: JSONColumnType<Record<string, unknown>>;
  loaded_at: ColumnType<Date, Date, never>;
  /** Who loaded it (operator:<unix user> or admin:<username>): never the one who approves it. */
  loaded_by: ColumnType<string, string | undefined, never>;
}

export type PersonRole = 'admin' | 'analyst' | 'ig-lead';

export interface PersonTable {
  username: string;
  role: PersonRole;
  password_hash: string;
  lockout: JSONColumnType<{
    failures: number;
    nextAttemptAt: number | null;
    locked: boolean;
    lockedUntil: number | null;
  }>;
  created_by: string;
  created_at: ColumnType<Date, Date, never>;
  /** Moves on at logout; a person's access token is valid only while it names the current one. */
  session_epoch: ColumnType<number, number | undefined, number>;
}

export interface AnalystAssignmentTable {
  username: string;
  purpose: string;
}

export interface PolicyApprovalTable {
  policy_id: string;
  version: number;
  approved_by: string;
  approved_at: Date;
  /** The purpose privacy report the approver saw; null when the purpose had no submission (or before reports). */
  privacy_report_digest: ColumnType<string | null, string | null | undefined, never>;
}

export type PrivacyReportStatus = 'queued' | 'running' | 'completed' | 'failed';

/** A submission's privacy report (privacy-reports/), computed by a job after the submission commits. */
export interface PrivacyReportTable {
  submission_id: string;
  status: PrivacyReportStatus;
  report: JSONColumnType<Record<string, unknown>> | null;
  /** The report's own digest (SHA-256 of its canonical JSON), once completed. */
  digest: string | null;
  /** Why the last attempt failed. */
  error: string | null;
  attempts: ColumnType<number, number | undefined, number>;
  /** Attempts before the queue gives up: a failed report with attempts left will be tried again. */
  max_attempts: number;
  created_at: ColumnType<Date, Date, never>;
  finished_at: Date | null;
  /** Who took the latest attempt up; with `attempts`, the one attempt that may still write. */
  worker_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Beats every second while an attempt runs: the sweep's sign of a live worker (jobs/graphile-runner.ts). */
  heartbeat_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

/** A pair sent to an agency for clerical review, and its verdict once labelled (migration 016). */
export interface ReviewPairTable {
  purpose: string;
  agency: string;
  review_id: string;
  /** The two records' stable keys (record-key.ts), key_a < key_b. */
  key_a: string;
  key_b: string;
  /** The run the pair was exported from. */
  run_id: string;
  exported_at: Date;
  verdict: 'match' | 'non-match' | 'unsure' | null;
  labelled_at: Date | null;
  /** Field → the similarity the model compared when the pair was exported (null: missing); for the fit. */
  sims: ColumnType<Record<string, number | null> | null, string | null | undefined, string | null>;
}

export interface SubmissionTable {
  id: string;
  agency: string;
  purpose: string;
  idempotency_key: string;
  digest: string;
  schema_id: string;
  schema_version: number;
  schema_fingerprint: string;
  clk_bits: number;
  record_count: number;
  /** The encoded file's header: field filter layout, blocking keys, hardening. */
  header: JSONColumnType<Record<string, unknown>> | null;
  /** The agency's Ed25519 signature over the submission digest, kept for non-repudiation. */
  signature: string | null;
  signed_digest: string | null;
  created_at: ColumnType<Date, Date, never>;
  /** The header's key check value (same secret and schema version ⇔ equal); null if stored before key checks. */
  key_check: string | null;
  /** When this became its agency's current submission for the purpose: stored, or re-submitted since. */
  current_at: Date;
}

export interface EncodingTable {
  submission_id: string;
  row_token: string;
  /** Bit i set when the header's fieldFilters[i] is present in this record. */
  field_mask: ColumnType<number, number | undefined, number>;
  /** CLK, field filters and blocking tokens, encrypted at rest (see submissions/payload.ts). */
  payload: Uint8Array;
}

export interface RunTable {
  id: string;
  purpose: string;
  status: RunStatusValue;
  policy_id: string;
  policy_version: number;
  threshold: number;
  submission_ids: JSONColumnType<string[]>;
  matched_pairs: number;
  error: string | null;
  /** Scoring mode, threshold and the model's reasoning; never anything identifying. */
  scoring: JSONColumnType<Record<string, unknown>> | null;
  stats: JSONColumnType<Record<string, unknown>> | null;
  started_at: ColumnType<Date, Date, never>;
  finished_at: Date | null;
  /** 'full' or 'incremental', and why (null on runs made before incremental runs existed). */
  mode: 'full' | 'incremental' | null;
  mode_reason: string | null;
  /** What was asked for: 'full', or 'auto' (incremental when it can). */
  requested_mode: ColumnType<'full' | 'auto', 'full' | 'auto' | undefined, never>;
  /** The engine's stage and counts so far, written by the job (throttled). */
  stage: string | null;
  progress: JSONColumnType<Record<string, number>> | null;
  /** Bumped by each job attempt; only the newest attempt may write progress or results. */
  attempt: ColumnType<number, number | undefined, number>;
  worker_id: string | null;
  heartbeat_at: Date | null;
  /** The analyst whose nightly schedule queued the run (null: started by hand). */
  scheduled_by: string | null;
}

export type RunStatusValue = 'queued' | 'running' | 'completed' | 'failed';

export interface RunRecordTable {
  run_id: string;
  submission_id: string;
  row_token: string;
  /** Source and digest of the encodings: the same person re-submitted keeps the same key. */
  record_key: string;
  entity_id: string;
  household_id: string | null;
  /** The record's number in the run (sources in order, each in record-key order); stored links refer to it. */
  record_index: number | null;
}

/** What the next run continues from (see runs/state.ts); deleted with its run. */
export interface RunStateTable {
  run_id: string;
  /** Policy, schema, threshold and sources the run was made with (RunSettings). */
  settings: JSONColumnType<Record<string, unknown>>;
  /** The scoring model, threshold, household test and blocking plan, as encodeModel writes it. */
  model: string;
  /** The scored pairs a later run carries (by record_index), as encodePairs writes them. */
  links: Uint8Array;
  record_count: number;
}

export interface RunEventTable {
  run_id: string;
  seq: number;
  kind: string;
  detail: JSONColumnType<Record<string, unknown>>;
}

export type ScheduleStatus = 'queued' | 'completed' | 'failed' | 'refused' | 'skipped';

export interface RunScheduleTable {
  purpose: string;
  /** Local time of day, HH:MM, read in time_zone. */
  time_of_day: string;
  /** IANA zone name, canonical as Intl reports it. */
  time_zone: string;
  /** The analyst who set it; scheduled runs are made on their authority. */
  owner: string;
  next_due: Date;
  created_at: ColumnType<Date, Date, never>;
  updated_at: Date;
  last_attempt_at: Date | null;
  last_status: ScheduleStatus | null;
  last_run_id: string | null;
  /** Why it failed, was refused or skipped; null after a completed run. */
  last_detail: string | null;
}

/** A chunked upload in progress (or committed: then submission_id names the stored submission). */
export interface UploadTable {
  id: string;
  /** Reserved at creation: rows are encrypted at rest under it, so commit moves them unopened. */
  submission_id: string;
  agency: string;
  purpose: string;
  idempotency_key: string;
  /** The signed manifest exactly as the agency sent it (its SHA-256 is what was signed). */
  manifest: string;
  manifest_digest: string;
  signature: string;
  chunk_count: number;
  record_count: number;
  created_at: ColumnType<Date, Date, never>;
  /** Last chunk received; an uncommitted upload idle past its lifetime is purged. */
  updated_at: Date;
  committed_at: Date | null;
}

export interface UploadChunkTable {
  upload_id: string;
  n: number;
  sha256: string;
  record_count: number;
  received_at: Date;
}

/** A validated record waiting for its upload's commit; payload as in EncodingTable. */
export interface UploadEncodingTable {
  upload_id: string;
  row_token: string;
  chunk: number;
  field_mask: ColumnType<number, number | undefined, number>;
  payload: Uint8Array;
}

export interface AuditTable {
  seq: number;
  at: Date;
  actor: string;
  action: string;
  purpose: string | null;
  policy_id: string | null;
  policy_version: number | null;
  policy_rule: string | null;
  decision: 'allowed' | 'refused' | 'failed';
  status: number;
  reason: string;
  counts: JSONColumnType<Record<string, number>>;
  release_digest: string | null;
  prev_hash: string;
  hash: string;
}

/** An entity a release was about (subject access): its keyed pseudonym, never its id. */
export interface ReleaseSubjectTable {
  audit_seq: number;
  run_id: string;
  subject: string;
}

/** From when the subject ledger holds every release of a form (migration 018). */
export interface ReleaseSubjectCoverageTable {
  form: string;
  recorded_since: Date;
}

/** One partition of a full run (see runs/partitions.ts); deleted once the run is stored or fails. */
/** A full run's units of work (docs/runs.md): partitions, the sample, the fit, each partition's pairs weighed. */
export type RunPhase = 'pairs' | 'sample' | 'fit' | 'score';

export interface RunPartitionTable {
  run_id: string;
  phase: ColumnType<RunPhase, RunPhase | undefined, never>;
  part: number;
  /** The run's attempt that planned it: a later attempt's plan replaces it. */
  attempt: number;
  source_i: number;
  source_j: number;
  status: 'pending' | 'running' | 'done';
  worker_id: string | null;
  heartbeat_at: Date | null;
  /** Times a job took it up (more than 1: a worker died and another took it over). */
  runs: ColumnType<number, number | undefined, number>;
  /** Its pairs and similarities, as encodePartition writes them. */
  result: Uint8Array | null;
  /** Its blocking stats, plan and seconds, as JSON with typed arrays (encodeTyped). */
  blocking: string | null;
}

export interface Database {
  agency: AgencyTable;
  policy: PolicyTable;
  submission: SubmissionTable;
  encoding: EncodingTable;
  run: RunTable;
  run_record: RunRecordTable;
  run_event: RunEventTable;
  run_state: RunStateTable;
  run_partition: RunPartitionTable;
  audit_log: AuditTable;
  person: PersonTable;
  analyst_assignment: AnalystAssignmentTable;
  policy_approval: PolicyApprovalTable;
  agency_certificate: AgencyCertificateTable;
  audit_checkpoint: AuditCheckpointTable;
  run_schedule: RunScheduleTable;
  upload: UploadTable;
  upload_chunk: UploadChunkTable;
  upload_encoding: UploadEncodingTable;
  privacy_report: PrivacyReportTable;
  review_pair: ReviewPairTable;
  release_subject: ReleaseSubjectTable;
  release_subject_coverage: ReleaseSubjectCoverageTable;
}

export type { Generated };
