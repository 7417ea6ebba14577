/**
 * When a nightly schedule is next due: pure functions of a local time of day, an IANA time zone and
 * an instant, using only Intl's time-zone data.
 *
 * A local time can be missing or doubled on a day the zone changes its offset. Both cases follow the
 * rule of RFC 5545 (iCalendar) and of Temporal's 'compatible' disambiguation, so the run happens
 * exactly once on every local date:
 * - missing (spring forward: Europe/London has no 01:00–01:59 on the last Sunday of March): the time
 *   is read with the offset in force before the change, i.e. moved later by the gap. A 01:30
 *   schedule runs at 02:30 BST (01:30 UTC) that day.
 * - doubled (fall back: 01:00–01:59 happens in BST and again in GMT on the last Sunday of October):
 *   the earlier occurrence. A 01:30 schedule runs at 01:30 BST (00:30 UTC), and not again at 01:30 GMT.
 */

const TIME_OF_DAY = /^([01][0-9]|2[0-3]):([0-5][0-9])$/;
/** IANA names ("Europe/London", "UTC"): an offset such as "+01:00" has no rules and is refused. */
const IANA_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+){0,2}$/;
const DAY = 86_400_000;

export interface TimeOfDay {
  hour: number;
  minute: number;
}

/** "HH:MM" on the 24-hour clock, 00:00–23:59, or null. */
export function parseTimeOfDay(text: string): TimeOfDay | null {
  const m = TIME_OF_DAY.exec(text);
  return m ? { hour: Number(m[1]), minute: Number(m[2]) } : null;
}

/** The zone's canonical IANA name if Intl knows it (case is forgiven: "europe/london"), else null. */
export function canonicalTimeZone(name: string): string | null {
  if (name.length > 64 || !IANA_NAME.test(name)) return null;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null; // RangeError: Intl does not know the zone
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The zone's wall clock at an instant, as milliseconds of the same reading taken as UTC. */
function wallClock(ms: number, timeZone: string): number {
  const p: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(ms)))
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
}

/** Offset from UTC (ms) in force at an instant. */
function offsetAt(ms: number, timeZone: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  return wallClock(whole, timeZone) - whole;
}

/**
 * The instant a local date and time names in a zone, disambiguated as described above. Assumes at
 * most one offset change within a day either side of it, which holds for every IANA zone's rules.
 */
export function resolveLocal(year: number, month: number, day: number, time: TimeOfDay, timeZone: string): Date {
  const wall = Date.UTC(year, month - 1, day, time.hour, time.minute);
  const before = offsetAt(wall - DAY, timeZone);
  const offsets = new Set([before, offsetAt(wall, timeZone), offsetAt(wall + DAY, timeZone)]);
  const occurrences = [...offsets]
    .map((o) => wall - o)
    .filter((t) => wallClock(t, timeZone) === wall)
    .sort((a, b) => a - b);
  return new Date(occurrences[0] ?? wall - before);
}

/** The zone's calendar date at an instant. */
export function localDate(at: Date, timeZone: string): { year: number; month: number; day: number } {
  const d = new Date(wallClock(at.getTime(), timeZone));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/**
 * The first instant strictly after `after` at which a schedule for `time` in `timeZone` is due. The
 * date is walked in the zone's calendar, so each local date gets exactly one instant (its first
 * occurrence), and a missed night is never owed twice: whatever `after` is, the answer is the next one.
 */
export function nextDue(time: TimeOfDay, timeZone: string, after: Date): Date {
  const start = localDate(after, timeZone);
  for (let i = 0; i < 3; i++) {
    const d = new Date(Date.UTC(start.year, start.month - 1, start.day + i));
    const due = resolveLocal(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), time, timeZone);
    if (due.getTime() > after.getTime()) return due;
  }
  throw new Error(`no ${formatTimeOfDay(time)} in ${timeZone} within two days after ${after.toISOString()}`);
}

export function formatTimeOfDay(t: TimeOfDay): string {
  return `${String(t.hour).padStart(2, '0')}:${String(t.minute).padStart(2, '0')}`;
}

/** "2026-03-29 02:30" in the zone: how an operator reads a due instant. */
export function formatLocal(at: Date, timeZone: string): string {
  return new Date(wallClock(at.getTime(), timeZone)).toISOString().slice(0, 16).replace('T', ' ');
}
