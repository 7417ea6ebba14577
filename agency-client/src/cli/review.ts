import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse } from 'csv-parse/sync';
import type { ReviewLabelsRequest, ReviewPair } from '@blindlink/protocol';
import { csvLine, describeCsvError } from '../io/csv.js';
import { readTokenMap } from '../io/encoded-file.js';
import { writeAnswer } from './shared.js';
import { brokerOptions, CliError, withClient } from './shared.js';

/**
 * Clerical review at the agency (docs/clerical-review.md): `review export` fetches our most uncertain
 * pairs and puts our own record ids on them (from the private token map: they never leave here), for a
 * data officer to fill in the verdict column; `review submit` sends the verdicts back.
 */

export const REVIEW_HEADER = [
  'review_id',
  'your_record_ids',
  'other',
  'probability',
  'score',
  'threshold',
  'linked_now',
  'evidence',
  'verdict',
];
const VERDICTS = ['match', 'non-match', 'unsure'] as const;
type Verdict = (typeof VERDICTS)[number];
/** Labels per request: the broker takes at most this many at once. */
const BATCH = 1000;

function evidence(p: ReviewPair): string {
  return p.fields
    .map((f) => `${f.field}: ${f.level}${f.weight === null ? '' : ` (${f.weight >= 0 ? '+' : ''}${f.weight})`}`)
    .join('; ');
}

/** The filled-in review file's labels; a row with an empty verdict is left out, anything else wrong is an error. */
export function readLabels(file: string): ReviewLabelsRequest['labels'] {
  let rows: string[][];
  try {
    rows = parse(readFileSync(file), { bom: true, relax_column_count: true }) as string[][];
  } catch (err) {
    throw new CliError(describeCsvError(file, err) ?? `${file}: ${(err as Error).message}`);
  }
  const header = rows[0] ?? [];
  const id = header.indexOf('review_id');
  const verdict = header.indexOf('verdict');
  if (id < 0 || verdict < 0)
    throw new CliError(`${file}: expected the columns review_id and verdict (the file "review export" writes)`);
  const labels: ReviewLabelsRequest['labels'] = [];
  rows.slice(1).forEach((row, i) => {
    const v = (row[verdict] ?? '').trim().toLowerCase();
    if (v === '') return;
    if (!(VERDICTS as readonly string[]).includes(v))
      throw new CliError(`${file} line ${i + 2}: verdict "${v}" is not one of ${VERDICTS.join(', ')}`);
    const reviewId = (row[id] ?? '').trim();
    if (!/^rv-[A-Za-z0-9_-]{22}$/.test(reviewId))
      throw new CliError(`${file} line ${i + 2}: "${reviewId}" is not a review id`);
    labels.push({ reviewId: reviewId as ReviewLabelsRequest['labels'][number]['reviewId'], verdict: v as Verdict });
  });
  if (labels.length === 0) throw new CliError(`${file}: no row has a verdict (${VERDICTS.join(', ')}) to send`);
  return labels;
}

export function reviewCommands(program: Command): void {
  const review = program
    .command('review')
    .description("clerical review: label the broker's most uncertain pairs of our records as match or non-match");

  brokerOptions(
    review
      .command('export')
      .description('fetch our most uncertain pairs of the latest run; writes a CSV with our record ids to label'),
  )
    .requiredOption('--tokens <file>', 'our private token map (<encoded>.tokens.csv)')
    .requiredOption('--out <csv>', 'where to write the review file')
    .option('--rule <id>', 'the clerical-review rule, when the policy grants several')
    .action(
      async (o: { broker: string; keyDir: string; purpose: string; tokens: string; out: string; rule?: string }) => {
        const map = readTokenMap(o.tokens);
        const r = await withClient(o, (client) => client.clericalReview(o.purpose, o.rule));
        const unmapped = r.pairs.flatMap((p) => p.yours).filter((t) => !map.has(t)).length;
        if (unmapped > 0)
          throw new CliError(
            `${unmapped} of our row tokens in the review are not in ${o.tokens}: is it the token map of the ` +
              'submitted file?',
          );
        let out = csvLine(REVIEW_HEADER);
        for (const p of r.pairs)
          out += csvLine([
            p.reviewId,
            p.yours.map((t) => map.get(t)!).join(';'),
            p.other ?? '(ours)',
            p.probability === null ? '' : String(p.probability),
            String(p.score),
            String(p.threshold),
            p.linked ? 'yes' : 'no',
            evidence(p),
            '',
          ]);
        writeAnswer(o.out, out);
        process.stderr.write(
          `${r.pairs.length} pairs to review from run ${r.runId} (policy ${r.policy.id} v${r.policy.version}, ` +
            `rule ${r.policy.rule}) → ${o.out}: fill in verdict (${VERDICTS.join(' / ')}), then "review submit"\n`,
        );
      },
    );

  brokerOptions(
    review
      .command('submit')
      .description('send the verdicts of a filled-in review file back to the broker; the next run applies them')
      .argument('<labels.csv>', 'the review file with its verdict column filled in'),
  ).action(async (file: string, o: { broker: string; keyDir: string; purpose: string }) => {
    const labels = readLabels(file);
    const result = await withClient(o, async (client) => {
      let stored = 0;
      let conflicts = 0;
      for (let k = 0; k < labels.length; k += BATCH) {
        const r = await client.reviewLabels(o.purpose, labels.slice(k, k + BATCH));
        stored += r.stored;
        conflicts = r.conflicts;
      }
      return { stored, conflicts };
    });
    process.stdout.write(JSON.stringify({ purpose: o.purpose, ...result }) + '\n');
    process.stderr.write(
      `${result.stored} verdicts stored; the next run applies them` +
        (result.conflicts
          ? ` (${result.conflicts} pair(s) of ${o.purpose} have verdicts that disagree: neither applies)`
          : '') +
        '\n',
    );
  });
}
