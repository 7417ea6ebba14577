import type { Command } from 'commander';
import type { PurposePrivacyReport } from '@blindlink/protocol';
import { runPrivacyReport } from '../privacy/command.js';
import { formatReport } from '../privacy/format.js';
import type { PrivacyReport } from '../privacy/report.js';
import { readPrivacyReport } from '../services/read-privacy-report.js';
import { audited, CliError, localOperator, withDatabase } from './shared.js';

/** A purpose's stored report for a person: each submission's report, then the digest to approve with. */
function formatPurposeReport(r: PurposePrivacyReport): string {
  const out = [`privacy report of purpose ${r.purpose}: ${r.submissions.length} current submission(s)\n`];
  for (const s of r.submissions) {
    out.push(`== ${s.agency}: submission ${s.submissionId}, ${s.recordCount} records: ${s.status}\n`);
    if (s.report) out.push(formatReport(s.report as unknown as PrivacyReport));
    else out.push(`report failed after ${s.attempts} attempts: ${s.error}\n`);
  }
  out.push(`purpose privacy report digest: ${r.digest}\n`);
  out.push(`approve with: blindlink-broker policy approve <id> <version> --privacy-report ${r.digest} …\n`);
  return out.join('');
}

/** privacy-report: the published attacks, run on encoded files, or a purpose's stored report, for a DPIA. */
export function privacyReportCommand(program: Command): void {
  program
    .command('privacy-report [files...]')
    .description(
      'run the published attacks on encoded files (frequency alignment, q-gram pattern mining, graph ' +
        'matching) and report what they re-identify, for a DPIA; or, with --purpose, print the report the ' +
        "broker computed of a purpose's current submissions, whose digest an approval names (docs/privacy-report.md)",
    )
    .option('--json', 'the machine-readable report')
    .option(
      '--truth <csv>',
      'token,field,value: true normalised values, to measure re-identification instead of estimating it',
    )
    .option(
      '--background <csv>',
      "field,value,count: the attacker's name and year-of-birth frequencies (default: the shipped table)",
    )
    .option('--attacks <list>', 'comma-separated subset of frequency,mining,graph')
    .option('--purpose <purpose>', "the stored report of this purpose's current submissions (no files)")
    .option('--data-dir <dir>', 'with --purpose: data directory (embedded database and broker keys)', './.blindlink')
    .action(
      async (
        files: string[],
        o: { json?: boolean; truth?: string; background?: string; attacks?: string; purpose?: string; dataDir: string },
      ) => {
        if (o.purpose === undefined) {
          if (files.length === 0) throw new CliError('give encoded files, or --purpose <purpose>');
          process.stdout.write(runPrivacyReport(files, o).text);
          return;
        }
        if (files.length || o.truth || o.background || o.attacks)
          throw new CliError('--purpose reads the stored report: give no files, --truth, --background or --attacks');
        const purpose = o.purpose;
        await withDatabase(o.dataDir, async ({ db }) => {
          const r = await audited(db, localOperator(), 'privacy-report.read', (audit) =>
            readPrivacyReport({ db }, { purpose }, audit),
          );
          process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : formatPurposeReport(r));
        });
      },
    );
}
