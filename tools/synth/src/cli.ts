import { Command, InvalidArgumentError } from 'commander';
import { ERROR_MODELS, type ErrorModelName } from './error-model.js';
import { synthCommand } from './index.js';

/** `blindlink-synth`: trial data with ground truth. A tool beside the products, not shipped to agencies. */

const list = (v: string, prev: string[] = []) => [
  ...prev,
  ...v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];

export function buildCli(): Command {
  return new Command('blindlink-synth')
    .description('generate a synthetic UK population and per-agency extracts with ground truth (to trial the system)')
    .requiredOption('--persons <n>', 'number of persons', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('--persons must be a whole number ≥ 1');
      return n;
    })
    .requiredOption('--seed <seed>', 'seed: the same seed and size give byte-identical files')
    .requiredOption('--out <dir>', 'output folder')
    .option('--agencies <list>', 'only these extracts (default: all)', list)
    .option(
      '--error-model <name>',
      "'own' (default), or 'independent': doubled error rates, other name lists, swapped names, more twins",
      (v) => {
        if (!(ERROR_MODELS as readonly string[]).includes(v))
          throw new InvalidArgumentError(`--error-model must be one of ${ERROR_MODELS.join(', ')}`);
        return v as ErrorModelName;
      },
    )
    .action(
      async (o: { persons: number; seed: string; out: string; agencies?: string[]; errorModel?: ErrorModelName }) => {
        await synthCommand(o, { info: (line) => process.stderr.write(`${line}\n`) });
      },
    );
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (err) {
    process.stderr.write(`blindlink-synth: error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
