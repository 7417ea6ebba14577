import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { JobQueue } from '../jobs/queue.js';
import type { CertificateAuthority } from '../trust/ca.js';
import type { BrokerKeyring } from '../trust/keys.js';

/** What the broker's use cases run against; each service takes the part it needs. */
export interface ServiceDeps {
  db: Kysely<Database>;
  /** Where queued runs go (jobs/queue.ts). */
  jobs: JobQueue;
  keys: BrokerKeyring;
  ca: CertificateAuthority;
  /** Master key of per-purpose pseudonyms (in the key directory, never in the database). */
  pseudonymKey: Uint8Array;
}
