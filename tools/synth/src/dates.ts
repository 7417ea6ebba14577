/**
 * Dates as whole days since 1970-01-01 (UTC civil calendar). Integer days are cheap to generate and
 * compare; conversion uses Howard Hinnant's civil-from-days algorithm, no Date objects in the hot path.
 */

export interface Civil {
  y: number;
  m: number; // 1..12
  d: number; // 1..31
}

export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const mp = (m + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(days: number): Civil {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

/** Parse YYYY-MM-DD into days. */
export function parseIsoDate(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) throw new Error(`not an ISO date: ${s}`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const days = daysFromCivil(y, mo, d);
  const back = civilFromDays(days);
  if (back.y !== y || back.m !== mo || back.d !== d) throw new Error(`not a calendar date: ${s}`);
  return days;
}

/** Completed years between a date of birth and a reference date. */
export function ageAt(dob: number, ref: number): number {
  const a = civilFromDays(dob);
  const b = civilFromDays(ref);
  let age = b.y - a.y;
  if (b.m < a.m || (b.m === a.m && b.d < a.d)) age--;
  return age;
}

/**
 * Earliest and latest date of birth for someone aged minAge..maxAge (inclusive) on ref.
 * A 29 February reference date is treated as the 28th.
 */
export function dobWindow(ref: number, minAge: number, maxAge: number): [number, number] {
  const r = civilFromDays(ref);
  const d = r.m === 2 && r.d === 29 ? 28 : r.d;
  const latest = daysFromCivil(r.y - minAge, r.m, d);
  const earliest = daysFromCivil(r.y - maxAge - 1, r.m, d) + 1;
  return [earliest, latest];
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

export type DateFormat = 'iso' | 'dmy' | 'dmon';

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

export function formatCivil(c: Civil, fmt: DateFormat): string {
  switch (fmt) {
    case 'iso':
      return `${c.y}-${pad2(c.m)}-${pad2(c.d)}`;
    case 'dmy':
      return `${pad2(c.d)}/${pad2(c.m)}/${c.y}`;
    case 'dmon':
      return `${c.d} ${MONTHS[c.m - 1] ?? '???'} ${c.y}`;
  }
}

export function formatDate(days: number, fmt: DateFormat): string {
  return formatCivil(civilFromDays(days), fmt);
}
