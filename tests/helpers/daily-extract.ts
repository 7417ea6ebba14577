import { Prng } from '@blindlink/agency-client/synth';

/**
 * The next day's extract of a synthetic source: a share of people moved house (address and postcode
 * of another row), a share left, and new people arrived (rows of another extract, renamed).
 * Deterministic for a seed. The rows stay in their order; re-encoding gives fresh row tokens anyway.
 */
export function dailyExtract(
  rows: Record<string, string>[],
  opts: { seed: string; moved: number; left: number; arrivals: Record<string, string>[]; idPrefix: string },
): { rows: Record<string, string>[]; moved: number; left: number; arrived: number } {
  const rng = Prng.fromSeed(opts.seed, 'daily-extract');
  let moved = 0;
  let left = 0;
  const out: Record<string, string>[] = [];
  for (const r of rows) {
    const x = rng.next();
    if (x < opts.left) {
      left++;
      continue;
    }
    if (x < opts.left + opts.moved) {
      const to = rows[rng.int(rows.length)]!;
      out.push({ ...r, address: to.address ?? '', postcode: to.postcode ?? '' });
      moved++;
      continue;
    }
    out.push(r);
  }
  opts.arrivals.forEach((r, i) => {
    out.push({ ...r, record_id: `${opts.idPrefix}${String(i).padStart(7, '0')}` });
  });
  return { rows: out, moved, left, arrived: opts.arrivals.length };
}
