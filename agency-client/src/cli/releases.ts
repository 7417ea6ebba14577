import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { parse } from 'csv-parse/sync';
import { csvLine } from '../io/csv.js';
import { readTokenMap } from '../io/encoded-file.js';
import { withRecordIds } from '../io/row-tokens.js';
import { runProgress } from './progress.js';
import { brokerOptions, CliError, withClient, writeAnswer } from './shared.js';

/** The forms `release` asks for (membership has its own command: it names the agency asked about). */
const RELEASE_FORMS = ['pseudonym', 'family-criteria', 'aggregate', 'discrepancy', 'data-quality'];

function releaseForm(v: string): string {
  if (RELEASE_FORMS.includes(v)) return v;
  throw new InvalidArgumentError(
    `unknown release form "${v}": the forms are ${RELEASE_FORMS.join(', ')}` +
      (v === 'membership' ? ' (membership has its own command: blindlink-agency membership)' : ''),
  );
}

/** run, membership, release, resolve: linking and what comes back from it. */
export function releaseCommands(program: Command): void {
  brokerOptions(
    program
      .command('run')
      .description(
        'ask the broker to link the latest submissions for a purpose, and wait for the run (progress on stderr)',
      ),
  )
    .option('--full', 'relink everything and re-fit the model instead of continuing the previous run')
    .option('--no-wait', 'print the queued run (its id) and return at once; follow it with GET …/runs/<id>')
    .action(async (o: { broker: string; keyDir: string; purpose: string; full?: boolean; wait: boolean }) => {
      await withClient(o, async (client) => {
        const queued = await client.startRun(o.purpose, o.full ? 'full' : 'auto');
        if (!o.wait) {
          process.stdout.write(JSON.stringify(queued) + '\n');
          return;
        }
        const show = runProgress();
        const done = await client.waitForRun(o.purpose, queued.runId, { onStatus: show }).finally(() => show.stop());
        process.stdout.write(JSON.stringify(done) + '\n');
        if (done.status !== 'completed') {
          process.stderr.write(`blindlink-agency: run ${done.runId} failed: ${done.error ?? 'no reason given'}\n`);
          process.exitCode = 1;
        }
      });
    });

  brokerOptions(
    program.command('membership').description('is each of our records known to another agency? writes record_id,known'),
  )
    .requiredOption('--of <agency>', 'the contributing agency to ask about')
    .requiredOption('--tokens <file>', 'our private token map (<encoded>.tokens.csv)')
    .requiredOption(
      '--out <file>',
      'where to write record_id,known (CSV), or the whole answer with our record ids (a .json name)',
    )
    .action(async (o: { broker: string; keyDir: string; purpose: string; of: string; tokens: string; out: string }) => {
      const map = readTokenMap(o.tokens);
      const r = await withClient(o, (client) => client.membership(o.purpose, o.of));
      const known = new Map(r.answers.map((a) => [a.token, a.known]));
      const unmapped = r.answers.filter((a) => !map.has(a.token)).length;
      if (unmapped > 0)
        throw new CliError(
          `${unmapped} answers carry row tokens that are not in ${o.tokens}: is it the token map of the ` +
            `submitted file?`,
        );
      if (o.out.endsWith('.json')) {
        // The whole answer with our record ids beside the tokens: what `report` makes a page of.
        writeAnswer(o.out, JSON.stringify(withRecordIds(r, map), null, 2) + '\n');
      } else {
        // In the agency's own record order; rows the broker did not answer for are left out, not guessed.
        let out = csvLine(['record_id', 'known']);
        for (const [token, id] of map) if (known.has(token)) out += csvLine([id, known.get(token) ? 'yes' : 'no']);
        writeAnswer(o.out, out);
      }
      const yes = r.answers.filter((a) => a.known).length;
      process.stderr.write(
        `${yes} of ${r.answers.length} records known to ${o.of} (policy ${r.policy.id} v` +
          `${r.policy.version}, rule ${r.policy.rule}) → ${o.out}\n` +
          (r.optOuts
            ? `opt-outs applied (${r.optOuts.applied.join(', ')}): ` +
              `${r.optOuts.excluded ?? 'a few (suppressed)'} of our records left out\n`
            : ''),
      );
    });

  brokerOptions(
    program
      .command('release')
      .description(
        'ask for a release the policy grants us (pseudonym, family-criteria, aggregate, discrepancy, ' +
          'data-quality); ' +
          'rows come back with our record ids',
      ),
  )
    .requiredOption('--form <form>', RELEASE_FORMS.join(' | '), releaseForm)
    .option('--rule <id>', 'the rule, when the policy grants several of this form')
    .option('--tokens <file>', 'our private token map, to put our record ids back')
    .requiredOption('--out <file>', 'where to write the answer (JSON)')
    .action(
      async (o: {
        broker: string;
        keyDir: string;
        purpose: string;
        form: string;
        rule?: string;
        tokens?: string;
        out: string;
      }) => {
        const r = await withClient(o, (client) => client.release(o.purpose, o.form, o.rule));
        const text = JSON.stringify(o.tokens ? withRecordIds(r, readTokenMap(o.tokens)) : r, null, 2);
        writeAnswer(o.out, text + '\n');
        process.stderr.write(`${o.form} release for ${o.purpose} → ${o.out}\n`);
        const optOuts = r.optOuts as { applied: string[]; excluded: number | null } | undefined;
        if (optOuts)
          process.stderr.write(
            `opt-outs applied (${optOuts.applied.join(', ')}): ` +
              `${optOuts.excluded ?? 'a few (suppressed)'} records left out\n`,
          );
        // The counts a console shows: one JSON line on stdout.
        if (o.form === 'data-quality') process.stdout.write(JSON.stringify(r.summary) + '\n');
      },
    );

  program
    .command('resolve')
    .description('put our own record ids back on an entities file from the broker or "blindlink-broker link"')
    .requiredOption('--tokens <file>', 'our private token map (<encoded>.tokens.csv)')
    .requiredOption('--in <csv>', 'entities file: entity_id,household_id,source,row_token (or without household_id)')
    .requiredOption('--out <csv>', 'where to write entity_id,household_id,record_id')
    .option('--source <name>', "our source name in the entities file (default: the token map's file name)")
    .action(async (o: { tokens: string; in: string; out: string; source?: string }) => {
      const map = readTokenMap(o.tokens);
      const source =
        o.source ??
        basename(o.tokens)
          .replace(/\.tokens\.csv$/, '')
          .replace(/\.enc$/, '');
      const rows = parse(readFileSync(o.in), { bom: true }) as string[][];
      const header = rows[0]?.join(',');
      // Files written before households were added lack the column; they resolve with it empty.
      const households = header === 'entity_id,household_id,source,row_token';
      if (!households && header !== 'entity_id,source,row_token')
        throw new CliError(`${o.in}: expected the header entity_id,household_id,source,row_token`);
      let out = csvLine(['entity_id', 'household_id', 'record_id']);
      let mine = 0;
      for (const row of rows.slice(1)) {
        const [entity, household, src, token] = households ? row : [row[0], '', row[1], row[2]];
        if (src !== source) continue;
        const id = map.get(token!);
        if (id === undefined)
          throw new CliError(
            `${o.in}: row token of source ${source} not in ${o.tokens}: is it the token map of the file ` +
              `that was linked?`,
          );
        out += csvLine([entity!, household!, id]);
        mine++;
      }
      if (mine === 0) throw new CliError(`${o.in} holds no rows of source "${source}" (set --source)`);
      writeAnswer(o.out, out);
      process.stderr.write(`${mine} of our records resolved → ${o.out}\n`);
    });
}
