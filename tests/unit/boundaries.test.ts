import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import t from 'tap';
import { ROOT } from '../helpers/processes.js';

/**
 * The client never imports broker code, and the broker never imports client code (it must never hold
 * the linkage secret or the encoder). Checked on every import specifier in the sources. Inside the
 * broker, the HTTP layer sits on the services, which sit on the domain modules: routes reach the
 * database only through services, services never see fastify, and neither layer imports in a circle.
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
  const re = new RegExp(
    [
      String.raw`(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]`,
      String.raw`import\s*\(\s*['"]([^'"]+)['"]\s*\)`,
      String.raw`import\s+['"]([^'"]+)['"]`,
      String.raw`require\s*\(\s*['"]([^'"]+)['"]\s*\)`,
    ].join('|'),
    'g',
  );
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

/** Each import of a file, with whether it is types only (`import type`, `export type`), erased at build. */
export function importStatements(code: string): { spec: string; typeOnly: boolean }[] {
  const out: { spec: string; typeOnly: boolean }[] = [];
  const re = new RegExp(
    [
      String.raw`(import|export)(\s+type)?\s[^'"]*?from\s*['"]([^'"]+)['"]`,
      String.raw`import\s*\(\s*['"]([^'"]+)['"]\s*\)`,
      String.raw`import\s+['"]([^'"]+)['"]`,
    ].join('|'),
    'g',
  );
  for (const m of code.matchAll(re)) out.push({ spec: (m[3] ?? m[4] ?? m[5])!, typeOnly: m[2] !== undefined });
  return out;
}

/** The source file a relative specifier names ('./x.js' is ./x.ts, a directory its index.ts), or null. */
function resolveSource(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const base = resolve(dirname(from), spec).replace(/\.js$/, '');
  for (const p of [`${base}.ts`, join(base, 'index.ts'), base]) if (existsSync(p) && statSync(p).isFile()) return p;
  return null;
}

const inside = (dir: string, file: string) => !relative(dir, file).startsWith('..');

/** Imports in `dir` of a package named in `packages` (or its subpaths) or of a file under `forbiddenDir`. */
export function forbiddenImports(
  dir: string,
  rule: { packages: string[]; forbiddenDir?: string; allowTypes: boolean },
  files = sources(dir),
): string[] {
  const bad: string[] = [];
  for (const file of files) {
    for (const { spec, typeOnly } of importStatements(readFileSync(file, 'utf8'))) {
      if (rule.allowTypes && typeOnly) continue;
      const viaName = rule.packages.some((p) => spec === p || spec.startsWith(`${p}/`));
      const target = resolveSource(file, spec);
      const viaPath = rule.forbiddenDir !== undefined && target !== null && inside(rule.forbiddenDir, target);
      if (viaName || viaPath) bad.push(`${relative(ROOT, file)} imports ${spec}`);
    }
  }
  return bad;
}

/**
 * Import circles (strongly connected components of the relative-import graph of `root`) that touch a
 * file under one of `dirs`, each as its files. Type-only imports count: a circle of types is still two
 * modules that cannot be read, or moved, one without the other.
 */
export function importCircles(root: string, dirs: string[], files = sources(root)): string[][] {
  const edges = new Map<string, string[]>();
  for (const file of files) {
    const targets = importStatements(readFileSync(file, 'utf8')).map(({ spec }) => resolveSource(file, spec));
    edges.set(
      file,
      targets.filter((t): t is string => t !== null && files.includes(t)),
    );
  }
  // Tarjan's algorithm.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (edges.get(v) ?? []).includes(v)) circles.push(component);
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return circles
    .filter((c) => c.some((f) => dirs.some((d) => inside(d, f))))
    .map((c) => c.map((f) => relative(ROOT, f)).sort());
}

const brokerSrc = join(broker, 'src');
const routesDir = join(brokerSrc, 'http', 'routes');
const servicesDir = join(brokerSrc, 'services');
const httpDir = join(brokerSrc, 'http');

t.test('HTTP routes reach the database only through services (type imports aside)', async (t) => {
  t.ok(sources(routesDir).length > 3, 'route sources found');
  t.same(
    forbiddenImports(routesDir, { packages: ['kysely'], forbiddenDir: join(brokerSrc, 'db'), allowTypes: true }),
    [],
  );
});

t.test('services never import fastify or the HTTP layer', async (t) => {
  t.ok(sources(servicesDir).length > 3, 'service sources found');
  t.same(
    forbiddenImports(servicesDir, { packages: ['fastify', '@fastify'], forbiddenDir: httpDir, allowTypes: false }),
    [],
  );
});

t.test('no import circles in the HTTP layer or the services', async (t) => {
  t.same(importCircles(brokerSrc, [httpDir, servicesDir]), []);
});

const cliDir = join(brokerSrc, 'cli');
/** What the operator CLI must reach only through services: the stores and domain modules of use cases, and HTTP. */
const BEHIND_SERVICES = [
  'governance',
  'agencies',
  'people',
  'submissions',
  'releases',
  'retention',
  'schedule',
  'uploads',
];

/** Imports in the CLI (`src` its package's src/) that bypass the services, and hand-written audit rows. */
export function cliBypasses(src: string, files = sources(join(src, 'cli'))): string[] {
  const cli = join(src, 'cli');
  return [
    ...[...BEHIND_SERVICES, 'http'].flatMap((d) =>
      forbiddenImports(cli, { packages: [], forbiddenDir: join(src, d), allowTypes: false }, files),
    ),
    ...files
      .filter((f) => /\bappendAudit\b/.test(readFileSync(f, 'utf8')))
      .map((f) => `${relative(ROOT, f)} appends audit rows itself`),
  ];
}

t.test('the operator CLI is a front end: use cases through services, audit rows by their one writer', async (t) => {
  t.ok(sources(cliDir).length > 5, 'CLI sources found');
  t.same(cliBypasses(brokerSrc), []);
});

const linkageDir = join(brokerSrc, 'linkage');
const IO_PACKAGES = ['kysely', 'pg', '@electric-sql', 'graphile-worker', 'fastify', '@fastify', 'node:fs', 'fs'];

t.test('the engine (linkage/) is pure: no database, files, HTTP, services or run bookkeeping', async (t) => {
  t.ok(sources(linkageDir).length > 10, 'engine sources found');
  const bad = [
    ...forbiddenImports(linkageDir, { packages: IO_PACKAGES, allowTypes: false }),
    ...['db', 'runs', 'services', 'http', 'submissions', 'governance', 'jobs'].flatMap((d) =>
      forbiddenImports(linkageDir, { packages: [], forbiddenDir: join(brokerSrc, d), allowTypes: false }),
    ),
  ];
  t.same(bad, []);
});

t.test('no import circles anywhere in the broker, the agency client, protocol or policies', async (t) => {
  for (const pkg of ['broker', 'agency-client', 'protocol', 'policies']) {
    const src = join(ROOT, pkg, 'src');
    t.same(importCircles(src, [src]), [], pkg);
  }
});

t.test('the layer checks themselves catch a crossing and a circle', async (t) => {
  const dir = t.testdir({
    src: {
      db: { 'schema.ts': 'export interface Database {}\n' },
      http: {
        'app.ts': "import { r } from './routes/r.js';\nexport type Deps = { n: number };\n",
        routes: {
          'r.ts': [
            "import type { Kysely } from 'kysely';", // allowed: types only
            "import type { Database } from '../../db/schema.js';", // allowed: types only
            "import { sql } from 'kysely';",
            "import { Database as D } from '../../db/schema.js';",
            "import type { Deps } from '../app.js';", // closes a circle with app.ts
            'export const r = 1;',
          ].join('\n'),
        },
      },
      services: {
        's.ts': [
          "import type { FastifyRequest } from 'fastify';",
          "import { x } from '@fastify/jwt';",
          "import { r } from '../http/routes/r.js';",
          "import { u } from './u.js';",
          'export const s = 1;',
        ].join('\n'),
        'u.ts': 'export const u = 2;\n',
      },
      governance: { 'policy-store.ts': 'export const approvePolicy = 1;\n' },
      people: { 'accounts.ts': 'export interface Person {}\n' },
      audit: { 'log.ts': 'export const appendAudit = 1;\nexport const verifyAuditChain = 2;\n' },
      cli: {
        'old.ts': [
          "import { approvePolicy } from '../governance/policy-store.js';",
          "import type { Person } from '../people/accounts.js';", // types too: the CLI has no business with stores
          "import { appendAudit } from '../audit/log.js';", // a hand-written audit row
          "import { r } from '../http/routes/r.js';",
        ].join('\n'),
        'thin.ts': [
          "import { s } from '../services/s.js';",
          "import type { Database } from '../db/schema.js';",
          "import { verifyAuditChain } from '../audit/log.js';", // reading the trail is not writing it
        ].join('\n'),
      },
    },
  });
  const src = join(dir, 'src');
  const routes = join(src, 'http', 'routes');
  const kyselyRule = { packages: ['kysely'], forbiddenDir: join(src, 'db'), allowTypes: true };
  t.same(forbiddenImports(routes, kyselyRule).length, 2, 'the value imports of kysely and of db/');
  const services = join(src, 'services');
  const fastifyRule = { packages: ['fastify', '@fastify'], forbiddenDir: join(src, 'http'), allowTypes: false };
  t.same(forbiddenImports(services, fastifyRule).length, 3, 'fastify (even types), @fastify/jwt, an http file');
  const circles = importCircles(src, [join(src, 'http'), join(src, 'services')]);
  t.same(circles.length, 1, 'one circle');
  t.same(circles[0]!.length, 2, 'app.ts and routes/r.ts');
  t.same(importCircles(src, [join(src, 'services')]), [], "a circle elsewhere is not the services' concern");
  t.same(
    cliBypasses(src).map((b) => b.replace(/^.*cli\//, '')),
    [
      'old.ts imports ../governance/policy-store.js',
      'old.ts imports ../people/accounts.js',
      'old.ts imports ../http/routes/r.js',
      'old.ts appends audit rows itself',
    ],
    'a store, even for a type, the HTTP layer and a hand-written audit row; not services, db types or reading',
  );
});
