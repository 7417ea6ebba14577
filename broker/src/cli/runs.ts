import { type Command, InvalidArgumentError } from 'commander';
import { estimateLine } from '../linkage/estimates.js';
import { linkFiles, writeEntities } from '../runs/offline-link.js';
import { listSchedules } from '../services/schedules.js';
import { linkProgress } from './progress.js';
import { dataDir, list, withDatabase } from './shared.js';

/** schedule list and link: linkage runs, scheduled on the broker or offline on files. */
export function runCommands(program: Command): void {
  const schedule = program
    .command('schedule')
    .description('nightly linkage runs (analysts set them over the API; `serve` runs them)');
  dataDir(
    schedule
      .command('list')
      .description("every purpose's nightly schedule, next due first, with its last outcome: one JSON line each"),
  ).action(async (o: { dataDir: string }) => {
    await withDatabase(o.dataDir, async ({ db }) => {
      const rows = await listSchedules({ db });
      for (const s of rows) {
        const { purpose, at, timeZone, owner, nextDue, nextDueLocal, last } = s;
        process.stdout.write(JSON.stringify({ purpose, at, timeZone, owner, nextDue, nextDueLocal, last }) + '\n');
      }
      process.stderr.write(`${rows.length} nightly schedule(s)\n`);
    });
  });

  program
    .command('link <files...>')
    .description(
      'link encoded files offline (to trial quality on test data): writes entity_id,household_id,source,row_token',
    )
    .requiredOption('--out <csv>', 'where to write the entities')
    .option(
      '--duplicate-free <sources>',
      'sources that hold one row per person (file names without .enc)',
      list,
      [] as string[],
    )
    .option(
      '--adults <sources>',
      'sources that hold only people aged 18 or over (e.g. council tax): in one entity with a --children record ' +
        'only when both dates of birth agree',
      list,
      [] as string[],
    )
    .option('--children <sources>', 'sources that hold only people under 18 (e.g. school pupils)', list, [] as string[])
    .option(
      '--threshold <dice>',
      'record-level Dice threshold for inputs without field filters (clkhash CLKs)',
      (v: string) => {
        const n = Number(v);
        if (!(n > 0 && n <= 1)) throw new InvalidArgumentError('--threshold must be in (0, 1]');
        return n;
      },
      0.8,
    )
    .option('--clk-only', 'score by record-level Dice even when field filters are present')
    .action(
      async (
        files: string[],
        o: {
          out: string;
          duplicateFree: string[];
          adults: string[];
          children: string[];
          threshold: number;
          clkOnly?: boolean;
        },
      ) => {
        const show = linkProgress();
        let linked: ReturnType<typeof linkFiles>;
        try {
          linked = linkFiles(files, {
            duplicateFree: o.duplicateFree,
            adults: o.adults,
            children: o.children,
            diceThreshold: o.threshold,
            ...(o.clkOnly ? { clkOnly: true } : {}),
            onProgress: show,
          });
        } finally {
          show.stop();
        }
        const { sources, result } = linked;
        writeEntities(o.out, sources, result);
        const s = result.stats;
        process.stderr.write(
          `${s.records} records from ${sources.length} sources → ${s.entities} entities, ${s.households} households; ` +
            `${s.candidatePairs} candidate pairs, ${s.linksAccepted} links (${result.scoring.mode}, ` +
            `threshold ${result.scoring.threshold.toFixed(3)}) in ${s.seconds.total!.toFixed(2)} s → ` +
            `${o.out}\n` +
            (result.estimates ? `${estimateLine(result.estimates)}\n` : '') +
            result.scoring.reasoning.map((r) => `  ${r}\n`).join(''),
        );
      },
    );
}
