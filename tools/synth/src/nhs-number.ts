/**
 * NHS numbers in the never-issued test range 999 000 0000 – 999 999 9999, so synthetic data can
 * never be a real person's number. Check digit: weights 10..2 on the first nine digits,
 * 11 − (sum mod 11), 11 → 0, 10 → the body is unusable.
 */

export const NHS_TEST_RANGE_PREFIX = '999';

/** Check digit for a 9-digit body, or null when the body cannot carry a valid number. */
export function nhsCheckDigit(body: string): number | null {
  if (!/^\d{9}$/.test(body)) throw new Error('NHS number body must be 9 digits');
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (body.charCodeAt(i) - 48) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 11) return 0;
  if (check === 10) return null;
  return check;
}

export function isValidNhsNumber(value: string): boolean {
  if (!/^\d{10}$/.test(value)) return false;
  const check = nhsCheckDigit(value.slice(0, 9));
  return check !== null && check === value.charCodeAt(9) - 48;
}

export function isTestRangeNhsNumber(value: string): boolean {
  return isValidNhsNumber(value) && value.startsWith(NHS_TEST_RANGE_PREFIX);
}

const DOMAIN_BITS = 20; // 2^20 > 10^6 bodies in the test range
const HALF_BITS = 10;
const HALF_MASK = (1 << HALF_BITS) - 1;
const BODIES = 1_000_000;

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * Hands out distinct valid test-range NHS numbers in a seeded scattered order: a 4-round Feistel
 * permutation on 20 bits with cycle walking onto the 10^6 bodies. No set of issued numbers is kept,
 * so memory stays flat. About 909,000 valid numbers exist; next() returns null when they run out.
 */
export class NhsNumberAllocator {
  private counter = 0;
  private readonly keys: readonly number[];

  constructor(keys: readonly number[]) {
    if (keys.length < 4) throw new Error('need four round keys');
    this.keys = keys.slice(0, 4);
  }

  private permute(x: number): number {
    let l = x >>> HALF_BITS;
    let r = x & HALF_MASK;
    for (const k of this.keys) {
      const f = mix32(r ^ k) & HALF_MASK;
      const nl = r;
      r = l ^ f;
      l = nl;
    }
    return (l << HALF_BITS) | r;
  }

  next(): string | null {
    while (this.counter < 1 << DOMAIN_BITS) {
      let v = this.permute(this.counter++);
      // Cycle walking keeps the permutation a bijection on [0, 10^6).
      while (v >= BODIES) v = this.permute(v);
      const body = NHS_TEST_RANGE_PREFIX + String(v).padStart(6, '0');
      const check = nhsCheckDigit(body);
      if (check !== null) return body + String(check);
    }
    return null;
  }
}

/** How many valid NHS numbers the test range holds. */
export function nhsTestRangeCapacity(): number {
  let n = 0;
  for (let v = 0; v < BODIES; v++) {
    if (nhsCheckDigit(NHS_TEST_RANGE_PREFIX + String(v).padStart(6, '0')) !== null) n++;
  }
  return n;
}
