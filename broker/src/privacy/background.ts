/**
 * Background frequency tables: what an attacker knows of the population from elsewhere (published
 * name frequencies, another register). CSV `field,value,count`, fields given_name, surname and
 * dob_year; values normalised as the public scheme does (lower case, letters only for names).
 * The shipped table (broker/data/privacy-background.csv) comes from the synthetic generator with
 * its own seed, so it is a different population from any synthetic data attacked with it
 * (bench/src/make-background.ts writes it).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { derivedFrom } from './derived.js';
import type { Background, BackgroundValue } from './types.js';

export const BACKGROUND_FIELDS = ['given_name', 'surname', 'dob_year'] as const;
export const SHIPPED_BACKGROUND = new URL('../../data/privacy-background.csv', import.meta.url);

export class BackgroundError extends Error {}

/** Parses `field,value,count` (header first). Errors name the line; duplicate rows are summed. */
export function parseBackground(text: string, source: string): Background {
  const lines = text.split(/\r?\n/);
  if ((lines[0] ?? '').trim().toLowerCase() !== 'field,value,count')
    throw new BackgroundError(`${source}: the first line must be the header field,value,count`);
  const counts = new Map<string, Map<string, number>>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const cells = line.split(',');
    if (cells.length !== 3)
      throw new BackgroundError(
        `${source} line ${i + 1}: expected 3 comma-separated cells (field,value,count), found ${cells.length}`,
      );
    const [field, value, countText] = cells as [string, string, string];
    if (!(BACKGROUND_FIELDS as readonly string[]).includes(field))
      throw new BackgroundError(`${source} line ${i + 1}: field must be one of ${BACKGROUND_FIELDS.join(', ')}`);
    if (!/^[a-z0-9 ]{1,100}$/.test(value))
      throw new BackgroundError(
        `${source} line ${i + 1}: value must be normalised (lower-case letters, digits, spaces; at most 100)`,
      );
    const count = Number(countText);
    if (!Number.isFinite(count) || count <= 0)
      throw new BackgroundError(`${source} line ${i + 1}: count must be a positive number`);
    const m = counts.get(field) ?? new Map<string, number>();
    m.set(value, (m.get(value) ?? 0) + count);
    counts.set(field, m);
  }
  if (counts.size === 0) throw new BackgroundError(`${source}: holds no frequencies`);
  const fields = new Map<string, BackgroundValue[]>();
  for (const [f, m] of counts) fields.set(f, sortValues([...m].map(([value, count]) => ({ value, count }))));
  return { source, digest: 'sha256:' + createHash('sha256').update(text).digest('hex'), fields };
}

/** Most frequent first; ties by value, so the order (and every report) is reproducible. */
export function sortValues(vs: BackgroundValue[]): BackgroundValue[] {
  return vs.sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
}

export function loadBackground(path?: string): Background {
  let text: string;
  try {
    text = readFileSync(path ?? SHIPPED_BACKGROUND, 'utf8');
  } catch (e) {
    throw new BackgroundError(
      `cannot read background ${path ?? 'shipped table'}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  return parseBackground(text, path ?? 'shipped:privacy-background.csv');
}

/** Bigrams of the value padded with "_" at both ends, and the whole value: the public name scheme. */
export function nameTokens(value: string): string[] {
  const s = `_${value.replace(/ /g, '')}_`;
  const out = new Set<string>();
  for (let i = 0; i + 2 <= s.length; i++) out.add(s.slice(i, i + 2));
  out.add(`w:${value.replace(/ /g, '')}`);
  return [...out];
}

/** Full names (given × surname) under independence, most frequent first, at most 100,000; computed once per table. */
export function fullNameBackground(
  given: readonly BackgroundValue[],
  surname: readonly BackgroundValue[],
): readonly BackgroundValue[] {
  return fullNamesOf(given)(surname);
}

const fullNamesOf = derivedFrom((given: readonly BackgroundValue[]) =>
  derivedFrom((surname: readonly BackgroundValue[]) => fullNames(given, surname, 100_000)),
);

function fullNames(
  given: readonly BackgroundValue[],
  surname: readonly BackgroundValue[],
  limit: number,
): BackgroundValue[] {
  const tg = given.reduce((a, v) => a + v.count, 0);
  const ts = surname.reduce((a, v) => a + v.count, 0);
  const side = Math.ceil(Math.sqrt(limit)) * 2;
  const out: BackgroundValue[] = [];
  for (const g of given.slice(0, side))
    for (const s of surname.slice(0, side))
      out.push({ value: `${g.value} ${s.value}`, count: (g.count / tg) * (s.count / ts) * Math.min(tg, ts) });
  return sortValues(out).slice(0, limit);
}
