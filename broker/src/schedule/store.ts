import type { Kysely, Selectable } from 'kysely';
import { ProtocolError } from '@blindlink/protocol';
import type { Database, RunScheduleTable, ScheduleStatus } from '../db/schema.js';
import { canonicalTimeZone, formatTimeOfDay, nextDue, parseTimeOfDay, type TimeOfDay } from './next-due.js';

export type ScheduleRow = Selectable<RunScheduleTable>;

export interface ScheduleSpec {
  time: TimeOfDay;
  timeZone: string;
}

/** Check what an analyst sent; each problem is a 400 naming the field and what it must be. */
export function parseScheduleSpec(body: { at: string; timeZone: string }): ScheduleSpec {
  const time = parseTimeOfDay(body.at);
  if (!time)
    throw new ProtocolError(
      'invalid-schedule',
      `at "${body.at.slice(0, 16)}" must be a time of day HH:MM on the 24-hour clock, 00:00 to 23:59`,
      { field: 'at' },
    );
  const timeZone = canonicalTimeZone(body.timeZone);
  if (!timeZone)
    throw new ProtocolError(
      'invalid-schedule',
      `timeZone "${body.timeZone.slice(0, 64)}" is not an IANA time zone this broker knows (e.g. Europe/London, UTC)`,
      { field: 'timeZone' },
    );
  return { time, timeZone };
}

/** Set (or replace) a purpose's nightly schedule; the last outcome is kept, the owner is whoever set it. */
export async function setSchedule(
  db: Kysely<Database>,
  purpose: string,
  spec: ScheduleSpec,
  owner: string,
  now: Date,
): Promise<ScheduleRow> {
  const values = {
    time_of_day: formatTimeOfDay(spec.time),
    time_zone: spec.timeZone,
    owner,
    next_due: nextDue(spec.time, spec.timeZone, now),
    updated_at: now,
  };
  return db
    .insertInto('run_schedule')
    .values({ purpose, ...values, created_at: now })
    .onConflict((oc) => oc.column('purpose').doUpdateSet(values))
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function getSchedule(db: Kysely<Database>, purpose: string): Promise<ScheduleRow | undefined> {
  return db.selectFrom('run_schedule').selectAll().where('purpose', '=', purpose).executeTakeFirst();
}

/** True when there was one to remove. */
export async function removeSchedule(db: Kysely<Database>, purpose: string): Promise<boolean> {
  const r = await db.deleteFrom('run_schedule').where('purpose', '=', purpose).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function listSchedules(db: Kysely<Database>): Promise<ScheduleRow[]> {
  return db.selectFrom('run_schedule').selectAll().orderBy('next_due').orderBy('purpose').execute();
}

export async function dueSchedules(db: Kysely<Database>, now: Date): Promise<ScheduleRow[]> {
  return db
    .selectFrom('run_schedule')
    .selectAll()
    .where('next_due', '<=', now)
    .orderBy('next_due')
    .orderBy('purpose')
    .execute();
}

/**
 * Claim a due schedule: one UPDATE that advances next_due to the next night after `now`, and only if
 * it is still due and still the next_due this caller read. PostgreSQL re-checks the WHERE on the row
 * it locks, so of two brokers claiming at once one gets the row and the other gets nothing. Computing
 * from `now`, not from the old next_due, means nights missed while no broker ran are owed once.
 */
export async function claimSchedule(
  db: Kysely<Database>,
  seen: ScheduleRow,
  now: Date,
): Promise<ScheduleRow | undefined> {
  const time = parseTimeOfDay(seen.time_of_day)!;
  return db
    .updateTable('run_schedule')
    .set({ next_due: nextDue(time, seen.time_zone, now) })
    .where('purpose', '=', seen.purpose)
    .where('next_due', '=', seen.next_due)
    .where('next_due', '<=', now)
    .returningAll()
    .executeTakeFirst();
}

export interface ScheduleOutcomeRecord {
  status: ScheduleStatus;
  runId: string | null;
  detail: string | null;
  at: Date;
}

/** Record the outcome of a scheduled attempt (a no-op if the schedule was removed meanwhile). */
export async function recordOutcome(db: Kysely<Database>, purpose: string, o: ScheduleOutcomeRecord): Promise<void> {
  await db
    .updateTable('run_schedule')
    .set({ last_status: o.status, last_run_id: o.runId, last_detail: o.detail, last_attempt_at: o.at })
    .where('purpose', '=', purpose)
    .execute();
}
