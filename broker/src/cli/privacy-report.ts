import type { Command } from 'commander';
import { runPrivacyReport } from '../privacy/command.js';

/** privacy-report: the published attacks, run on encoded files, for a DPIA. */
export function privacyReportCommand(program: Command): void {
  program
    .command('privacy-report <files...>')
    .description(
      'run the published attacks on encoded files (frequency alignment, q-gram pattern mining, graph ' +
        'matching) and report what they re-identify, for a DPIA (docs/privacy-report.md)',
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
    .action((files: string[], o: { json?: boolean; truth?: string; background?: string; attacks?: string }) => {
      process.stdout.write(runPrivacyReport(files, o).text);
    });
}
