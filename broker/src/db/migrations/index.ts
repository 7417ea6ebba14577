import type { Migration, MigrationProvider } from 'kysely';
import * as m001 from './001_initial.js';
import * as m002 from './002_field_filters_and_blocks.js';
import * as m003 from './003_people_and_approvals.js';
import * as m004 from './004_enrolment_certificates_sealed.js';
import * as m005 from './005_entities.js';
import * as m006 from './006_run_state.js';
import * as m007 from './007_run_schedules.js';
import * as m008 from './008_submission_key_check.js';
import * as m010 from './010_upload_chunks.js';
import * as m011 from './011_run_jobs.js';
import * as m012 from './012_privacy_reports.js';
import * as m013 from './013_run_partitions.js';
import * as m014 from './014_privacy_report_heartbeat.js';
import * as m015 from './015_run_phases.js';
import * as m016 from './016_clerical_review.js';
import * as m017 from './017_release_subjects.js';
import * as m018 from './018_review_similarities.js';
import * as m019 from './019_person_sessions.js';
import * as m020 from './020_subject_ledger_coverage.js';

/**
 * Migrations are listed here rather than read from a folder at run time, so the compiled broker
 * carries them and their order is fixed by name. Never edit a released migration: add the next one.
 */
const migrations: Record<string, Migration> = {
  '001_initial': m001,
  '002_field_filters_and_blocks': m002,
  '003_people_and_approvals': m003,
  '004_enrolment_certificates_sealed': m004,
  '005_entities': m005,
  '006_run_state': m006,
  '007_run_schedules': m007,
  '008_submission_key_check': m008,
  '010_upload_chunks': m010,
  '011_run_jobs': m011,
  '012_privacy_reports': m012,
  '013_run_partitions': m013,
  '014_privacy_report_heartbeat': m014,
  '015_run_phases': m015,
  '016_clerical_review': m016,
  '017_release_subjects': m017,
  '018_review_similarities': m018,
  '019_person_sessions': m019,
  '020_subject_ledger_coverage': m020,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
