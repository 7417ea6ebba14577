import type { Command } from 'commander';
import { purgePastRetention } from '../services/purge-retention.js';
import { dataDir, localOperator, withDatabase } from './shared.js';

/** purge: what retention no longer allows to be kept. */
export function retentionCommands(program: Command): void {
  dataDir(program.command('purge').description("delete submissions and runs past their policy's retention; audited"))
    .option('--dry-run', 'only say what would be deleted')
    .action(async (o: { dataDir: string; dryRun?: boolean }) => {
      await withDatabase(o.dataDir, async ({ db }) => {
        const dryRun = o.dryRun === true;
        const { purposes, uploads } = await purgePastRetention({ db }, localOperator(), { dryRun });
        const did = dryRun ? 'would delete' : 'deleted';
        for (const r of purposes) {
          process.stdout.write(
            `${r.purpose} (${r.policy}): ${did} ${r.submissions} submissions (${r.encodings} encodings), ` +
              `${r.runs} runs${r.reviewPairs ? `, ${r.reviewPairs} clerical-review pairs` : ''}\n`,
          );
        }
        process.stdout.write(
          `uploads abandoned before commit: ${did} ${uploads.uploads} (${uploads.stagedRecords} staged records)\n`,
        );
      });
    });
}
