/** `blindlink-broker privacy-report <files…>`: read the files, run the attacks, print the report. */
import { readFileSync } from 'node:fs';
import { parseEncodedFile } from '@blindlink/protocol';
import { decodeSubmission } from '../submissions/validate.js';
import { sourceName } from '../runs/offline-link.js';
import { loadBackground } from './background.js';
import { formatReport } from './format.js';
import {
  ATTACKS,
  privacyReport,
  PrivacyInputError,
  type AttackName,
  type PrivacyReport,
  type PrivacySource,
  type Truth,
} from './report.js';

export interface PrivacyReportOptions {
  json?: boolean;
  truth?: string;
  background?: string;
  attacks?: string;
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new PrivacyInputError(
      `cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}

/** An encoded file, checked as the broker checks a submission (bit lengths, declared fields). */
export function readPrivacySource(path: string): PrivacySource {
  const text = readText(path, 'encoded file');
  if (/^\s*\{\s*"clks"/.test(text))
    throw new PrivacyInputError(
      `${path}: a clkhash CLK file has no field filters; the report needs blindlink encoded files`,
    );
  const body = parseEncodedFile(text, path);
  decodeSubmission(body);
  return { name: sourceName(path), header: body.header, records: body.records };
}

/** Truth CSV `token,field,value` (header first): the true normalised value of a field of a row. */
export function parseTruth(text: string, source: string): Truth {
  const lines = text.split(/\r?\n/);
  if ((lines[0] ?? '').trim() !== 'token,field,value')
    throw new PrivacyInputError(`${source}: the first line must be the header token,field,value`);
  const truth: Truth = new Map();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const [token, field, value, ...rest] = line.split(',');
    if (rest.length || value === undefined || !/^[A-Za-z0-9_-]{22}$/.test(token!))
      throw new PrivacyInputError(`${source} line ${i + 1}: expected token,field,value with a 22-character row token`);
    if (field !== 'given_name' && field !== 'surname' && field !== 'dob')
      throw new PrivacyInputError(`${source} line ${i + 1}: field must be given_name, surname or dob`);
    const row = truth.get(token!) ?? {};
    row[field] = value;
    truth.set(token!, row);
  }
  return truth;
}

export function runPrivacyReport(
  files: readonly string[],
  o: PrivacyReportOptions,
): { report: PrivacyReport; text: string } {
  const names = files.map(sourceName);
  const dupe = names.find((n, i) => names.indexOf(n) !== i);
  if (dupe !== undefined) throw new PrivacyInputError(`two inputs share the source name ${dupe}: rename one`);
  const attacks = (o.attacks ?? ATTACKS.join(',')).split(',').map((a) => a.trim());
  const unknown = attacks.find((a) => !(ATTACKS as readonly string[]).includes(a));
  if (unknown !== undefined)
    throw new PrivacyInputError(`--attacks: unknown attack "${unknown}" (known: ${ATTACKS.join(', ')})`);
  const background = loadBackground(o.background);
  const truth = o.truth ? parseTruth(readText(o.truth, 'truth file'), o.truth) : undefined;
  const report = privacyReport(files.map(readPrivacySource), {
    background,
    ...(truth ? { truth } : {}),
    attacks: attacks as AttackName[],
  });
  return { report, text: o.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report) };
}
