import { type Command, InvalidArgumentError } from 'commander';
import { synthCommand } from '../synth/index.js';
import { list } from './shared.js';

export function synthCommandLine(program: Command): void {
  program
    .command('synth')
    .description('generate a synthetic UK population and per-agency extracts with ground truth (to trial the system)')
    .requiredOption('--persons <n>', 'number of persons', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('--persons must be a whole number ≥ 1');
      return n;
    })
    .requiredOption('--seed <seed>', 'seed: the same seed and size give byte-identical files')
    .requiredOption('--out <dir>', 'output folder')
    .option('--agencies <list>', 'only these extracts (default: all)', list)
    .action(async (o: { persons: number; seed: string; out: string; agencies?: string[] }) => {
      await synthCommand(o, { info: (line) => process.stderr.write(line + '\n') });
    });
}
