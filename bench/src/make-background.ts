/**
 * Writes the broker's shipped background frequency table (broker/data/privacy-background.csv), the
 * attacker's knowledge in `blindlink-broker privacy-report`: given names, surnames and years of birth
 * with their counts, from a synthetic population of its own seed, so that it is a *different
 * population* from any synthetic data the report is run on (the tests and benches use other seeds).
 * Values are normalised as the public scheme does. Reproducible: same seed and size, same file.
 *
 *   npm run bench:make-background [-- --persons 100000 --seed blindlink-background --out FILE]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { normaliseDob, normaliseGivenName, normaliseSurname } from '@blindlink/agency-client/normalise';
import { synthCommand } from '@blindlink/synth';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

/** Counts of normalised given names, surnames and years of birth in a fresh synthetic population. */
export async function backgroundCounts(persons: number, seed: string): Promise<Map<string, Map<string, number>>> {
  const dir = mkdtempSync(join(tmpdir(), 'blindlink-background-'));
  try {
    await synthCommand({ persons, seed, out: dir, agencies: ['dwp'] }, { info: () => {} });
    const rows = parse(readFileSync(join(dir, 'truth/persons.csv')), { columns: true }) as {
      given_name: string;
      surname: string;
      dob: string;
    }[];
    const counts = new Map<string, Map<string, number>>([
      ['given_name', new Map()],
      ['surname', new Map()],
      ['dob_year', new Map()],
    ]);
    const add = (field: string, value: string | undefined): void => {
      if (value === undefined || value === '') return;
      const m = counts.get(field)!;
      m.set(value, (m.get(value) ?? 0) + 1);
    };
    for (const r of rows) {
      const g = normaliseGivenName(r.given_name);
      const s = normaliseSurname(r.surname);
      const d = normaliseDob(r.dob);
      add('given_name', g.ok ? g.value : undefined);
      add('surname', s.ok ? s.value : undefined);
      add('dob_year', d.ok ? d.value.slice(0, 4) : undefined);
    }
    return counts;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function backgroundCsv(counts: Map<string, Map<string, number>>): string {
  const lines = ['field,value,count'];
  for (const [field, m] of counts) {
    const sorted = [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    for (const [value, count] of sorted) lines.push(`${field},${value},${count}`);
  }
  return lines.join('\n') + '\n';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const persons = Number(arg('--persons', '100000'));
  const seed = arg('--seed', 'blindlink-background');
  const out = arg('--out', join(ROOT, 'broker/data/privacy-background.csv'));
  const counts = await backgroundCounts(persons, seed);
  writeFileSync(out, backgroundCsv(counts));
  console.log(
    `${out}: ${[...counts].map(([f, m]) => `${m.size} ${f}`).join(', ')} from ${persons} persons (seed ${seed})`,
  );
}
