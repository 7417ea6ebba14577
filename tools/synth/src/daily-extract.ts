import { Prng } from './prng.js';

/**
 * The next day's extract of a synthetic source, as a real one changes: a share of people moved house
 * (address and postcode of another row), a share changed surname (another row's, as on marriage), a
 * share left, and new people arrived (rows of another extract, renamed). Deterministic for a seed. The
 * rows stay in their order; re-encoding gives fresh row tokens anyway.
 */
export function dailyExtract(
  rows: Record<string, string>[],
  opts: {
    seed: string;
    moved: number;
    left: number;
    renamed?: number;
    arrivals: Record<string, string>[];
    idPrefix: string;
  },
): { rows: Record<string, string>[]; moved: number; left: number; renamed: number; arrived: number } {
  const rng = Prng.fromSeed(opts.seed, 'daily-extract');
  const renamedShare = opts.renamed ?? 0;
  let moved = 0;
  let left = 0;
  let renamed = 0;
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
    // Drawn only for rows in this band, so a source without renames changes exactly as before.
    if (x < opts.left + opts.moved + renamedShare && r.surname !== undefined) {
      out.push({ ...r, surname: rows[rng.int(rows.length)]!.surname ?? '' });
      renamed++;
      continue;
    }
    out.push(r);
  }
  opts.arrivals.forEach((r, i) => {
    out.push({ ...r, record_id: `${opts.idPrefix}${String(i).padStart(7, '0')}` });
  });
  return { rows: out, moved, left, renamed, arrived: opts.arrivals.length };
}
