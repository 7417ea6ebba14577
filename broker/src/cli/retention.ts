import type { Command } from 'commander';
import { purge, purgeUploads } from '../retention/purge.js';
import { dataDir, operator, withDatabase } from './shared.js';

/** purge: what retention no longer allows to be kept. */
export function retentionCommands(program: Command): void {
  dataDir(program.command('purge').description("delete submissions and runs past their policy's retention; audited"))
    .option('--dry-run', 'only say what would be deleted')
    .action(async (o: { dataDir: string; dryRun?: boolean }) => {
      await withDatabase(o.dataDir, async ({ db }) => {
        const results = await purge(db, operator(), { ...(o.dryRun ? { dryRun: true } : {}) });
        for (const r of results) {
          process.stdout.write(
            `${r.purpose} (${r.policy}): ${o.dryRun ? 'would delete' : 'deleted'} ${r.submissions} ` +
              `submissions (${r.encodings} encodings), ${r.runs} runs\n`,
          );
        }
        const uploads = await purgeUploads(db, operator(), { ...(o.dryRun ? { dryRun: true } : {}) });
        process.stdout.write(
          `uploads abandoned before commit: ${o.dryRun ? 'would delete' : 'deleted'} ${uploads.uploads} (` +
            `${uploads.stagedRecords} staged records)\n`,
        );
      });
    });
}
