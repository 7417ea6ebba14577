import Type, { type Static } from 'typebox';
import { Slug } from './api.js';

/**
 * A purpose's nightly linkage run. The time and zone are checked by the broker rather than by a
 * schema pattern, so a bad value is refused with `invalid-schedule` naming the field and the rule.
 */
export const ScheduleRequest = Type.Object(
  {
    at: Type.String({
      minLength: 1,
      maxLength: 16,
      description: 'Local time of day the run starts: HH:MM on the 24-hour clock, 00:00 to 23:59',
      examples: ['02:00'],
    }),
    timeZone: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'IANA time zone the time is read in',
      examples: ['Europe/London'],
    }),
  },
  { $id: 'ScheduleRequest', additionalProperties: false },
);
export type ScheduleRequest = Static<typeof ScheduleRequest>;

export const ScheduleStatus = Type.Union([
  Type.Literal('queued'),
  Type.Literal('completed'),
  Type.Literal('failed'),
  Type.Literal('refused'),
  Type.Literal('skipped'),
]);
export type ScheduleStatus = Static<typeof ScheduleStatus>;

export const ScheduleOutcome = Type.Object(
  {
    status: ScheduleStatus,
    at: Type.String({ format: 'date-time', description: 'When the scheduler attempted the run' }),
    runId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], {
      description: 'The run it made; when skipped, the completed run whose results still stand',
    }),
    detail: Type.Union([Type.String(), Type.Null()], { description: 'Why it failed, was refused or skipped' }),
  },
  { additionalProperties: false },
);
export type ScheduleOutcome = Static<typeof ScheduleOutcome>;

export const ScheduleResponse = Type.Object(
  {
    purpose: Slug,
    at: Type.String(),
    timeZone: Type.String(),
    owner: Type.String({ description: 'The analyst who set it: scheduled runs are made on their authority' }),
    nextDue: Type.String({ format: 'date-time', description: 'The next run, UTC' }),
    updatedAt: Type.String({ format: 'date-time' }),
    last: Type.Union([ScheduleOutcome, Type.Null()], { description: 'The last scheduled attempt, if any' }),
  },
  { $id: 'ScheduleResponse', additionalProperties: false },
);
export type ScheduleResponse = Static<typeof ScheduleResponse>;
