import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import t from 'tap';
import { ROOT } from '../helpers/processes.js';

/**
 * The client never imports broker code, and the broker never imports client code (it must never hold
 * the linkage secret or the encoder). Checked on every import specifier in the sources.
 */

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (f === 'node_modules' || f === 'dist') return [];
    return statSync(p).isDirectory() ? sources(p) : /\.(ts|js|mjs|cjs)$/.test(f) ? [p] : [];
  });
}

export function importsOf(code: string): string[] {
  const out: string[] = [];
  const re =
    /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]|require\s*\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of code.matchAll(re)) out.push((m[1] ?? m[2] ?? m[3] ?? m[4])!);
  return out;
}

/** Imports in `pkgDir` that reach into `forbiddenDir` by package name or by relative path. */
export function crossings(
  pkgDir: string,
  forbiddenDir: string,
  forbiddenName: string,
  files = sources(pkgDir),
): string[] {
  const bad: string[] = [];
  for (const file of files) {
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      const viaName = spec === forbiddenName || spec.startsWith(forbiddenName + '/');
      const viaPath = spec.startsWith('.') && !relative(forbiddenDir, resolve(file, '..', spec)).startsWith('..');
      if (viaName || viaPath) bad.push(`${relative(ROOT, file)} imports ${spec}`);
    }
  }
  return bad;
}

const client = join(ROOT, 'agency-client');
const broker = join(ROOT, 'broker');

t.test('the agency client never imports broker code', async (t) => {
  t.ok(sources(join(client, 'src')).length > 3, 'client sources found');
  t.same(crossings(client, broker, '@blindlink/broker'), []);
  const pkg = JSON.parse(readFileSync(join(client, 'package.json'), 'utf8'));
  t.notOk({ ...pkg.dependencies, ...pkg.devDependencies }['@blindlink/broker'], 'no dependency on the broker package');
});

t.test('the broker never imports client (encoding) code', async (t) => {
  t.ok(sources(join(broker, 'src')).length > 3, 'broker sources found');
  t.same(crossings(broker, client, '@blindlink/agency-client'), []);
  const pkg = JSON.parse(readFileSync(join(broker, 'package.json'), 'utf8'));
  t.notOk(
    { ...pkg.dependencies, ...pkg.devDependencies }['@blindlink/agency-client'],
    'no dependency on the client package',
  );
});

t.test('the check itself catches a crossing', async (t) => {
  const dir = t.testdir({
    'agency-client': {
      src: {
        'a.ts': "import { x } from '../../broker/src/db/connect.js';\nconst y = await import('@blindlink/broker');\n",
      },
    },
    broker: { src: { 'b.ts': "export * from '@blindlink/agency-client/encode';\n" } },
  });
  t.same(crossings(join(dir, 'agency-client'), join(dir, 'broker'), '@blindlink/broker').length, 2);
  t.same(crossings(join(dir, 'broker'), join(dir, 'agency-client'), '@blindlink/agency-client').length, 1);
});
