import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BROKER_BIN, ROOT, run } from './processes.js';

/**
 * What a migrated database's contents depend on: the broker's migrations and the given package (the
 * PGlite build; graphile-worker, whose schema a PostgreSQL broker adds), found under the broker's or
 * the root node_modules, wherever the install put it.
 */
export function schemaDigest(pkg: string): string {
  const h = createHash('sha256');
  for (const dir of ['broker/node_modules', 'node_modules']) {
    const file = join(ROOT, dir, pkg, 'package.json');
    if (existsSync(file)) {
      h.update(readFileSync(file));
      break;
    }
  }
  const migrations = join(ROOT, 'broker/dist/db/migrations');
  for (const f of readdirSync(migrations).sort()) {
    if (!f.endsWith('.js')) continue;
    h.update(f);
    h.update(readFileSync(join(migrations, f)));
  }
  return h.digest('hex').slice(0, 16);
}

let ready: Promise<string> | undefined;

/** The template's pgdata folder, built on first use (PGlite's initdb, then every migration). */
function template(): Promise<string> {
  ready ??= (async () => {
    const final = join(tmpdir(), `blindlink-test-pglite-${schemaDigest('@electric-sql/pglite')}`);
    if (existsSync(join(final, 'PG_VERSION'))) return final;
    const build = mkdtempSync(join(tmpdir(), 'blindlink-test-pglite-build-'));
    try {
      // In a process of its own, which has let go of every file once it exits.
      const r = await run(BROKER_BIN, ['migrate', '--data-dir', build], { env: { DATABASE_URL: undefined } });
      if (r.code !== 0) throw new Error(`building the embedded database template: ${r.stderr}`);
      // Published whole by one rename; a parallel test file that got there first wins, ours is dropped.
      try {
        renameSync(join(build, 'pgdata'), final);
      } catch (e) {
        if (!existsSync(join(final, 'PG_VERSION'))) throw e;
      }
      return final;
    } finally {
      rmSync(build, { recursive: true, force: true });
    }
  })();
  return ready;
}

/**
 * Give a test broker's empty data directory a migrated embedded database: a copy of a template built
 * once per machine and schema under os.tmpdir(), keyed by the PGlite version and the migrations.
 * PGlite's initdb costs about 5 s of CPU per data directory; a copy opens in about 0.5 s. The broker
 * then opens and migrates it as it would any existing database (nothing left to apply). Starting from
 * an empty folder stays tested where that is the point: the CLI and end-to-end tests on the embedded
 * default (e2e-pglite, cli-conventions, embedded-owner) never use this.
 */
export async function seedEmbedded(dataDir: string): Promise<void> {
  cpSync(await template(), join(dataDir, 'pgdata'), { recursive: true });
}
