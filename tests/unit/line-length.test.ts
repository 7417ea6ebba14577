import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ROOT } from '../helpers/processes.js';

/**
 * Every line of the tracked sources fits in 120 characters. Biome wraps code at that width but leaves long
 * strings, template literals and comments as they are, so this catches what the formatter cannot. Fixtures
 * are data as given and are not checked.
 */

const MAX = 120;

/** `path:line (length)` for each line of `text` longer than `max` characters. */
export function longLines(path: string, text: string, max = MAX): string[] {
  return text.split('\n').flatMap((line, i) => (line.length > max ? [`${path}:${i + 1} (${line.length})`] : []));
}

function trackedSources(): string[] {
  const out = execFileSync('git', ['ls-files', '-z', '--', '*.ts', '*.mjs'], { cwd: ROOT, encoding: 'utf8' });
  return out.split('\0').filter((p) => p !== '' && !p.startsWith('tests/fixtures/'));
}

t.test('the check finds a long line and passes a short one', async (t) => {
  const text = ['short', 'x'.repeat(MAX), `const s = '${'y'.repeat(MAX)}';`, '// fine'].join('\n');
  t.same(longLines('a.ts', text), [`a.ts:3 (${MAX + 13})`]);
  t.same(longLines('b.ts', 'x'.repeat(MAX)), [], 'exactly the limit is allowed');
});

t.test(`no tracked .ts or .mjs line is over ${MAX} characters`, async (t) => {
  const files = trackedSources();
  t.ok(files.length > 100, `${files.length} tracked sources checked`);
  const offenders = files.flatMap((f) => longLines(f, readFileSync(join(ROOT, f), 'utf8')));
  t.same(offenders, [], `lines over ${MAX} characters: wrap strings into concatenations, re-flow comments`);
});
