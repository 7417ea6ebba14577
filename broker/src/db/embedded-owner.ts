import { linkSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * One owner of the embedded database. PGlite is PostgreSQL in one process: two processes opening the
 * same folder corrupt it or hang (a broker hung on its next login, then failed with `Aborted()`). So
 * whoever opens the folder first takes `<data-dir>/embedded.lock` (created atomically, holding its
 * pid); `serve` then offers the database on a Unix socket in an owner-only folder and writes the
 * socket into the lock, and operator commands run while it serves connect there as PostgreSQL clients.
 * A lock whose pid is dead is stale and taken over; one held by a live process that does not serve
 * is refused at once, naming that process.
 */

export const LOCK_FILE = 'embedded.lock';
/** pg reaches a Unix socket as <host dir>/.s.PGSQL.<port>. */
export const SOCKET_PORT = 5432;

export interface LockInfo {
  pid: number;
  host: string;
  /** What holds it: 'serve' or the operator command. */
  command: string;
  since: string;
  /** The folder of the socket `serve` offers the database on (pg's host), or null. */
  socketDir: string | null;
}

export type LockOutcome =
  | { held: true; release(): void; update(info: Partial<LockInfo>): void }
  | { held: false; by: LockInfo };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(file: string): LockInfo | null {
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
    return typeof info.pid === 'number' ? info : null;
  } catch {
    return null;
  }
}

/** Take the data dir's lock, or say who holds it. A dead holder's lock is removed and taken. */
export function takeLock(dataDir: string, command: string): LockOutcome {
  const file = join(dataDir, LOCK_FILE);
  mkdirSync(dataDir, { recursive: true });
  let info: LockInfo = {
    pid: process.pid,
    host: hostname(),
    command,
    since: new Date().toISOString(),
    socketDir: null,
  };
  for (let tries = 0; tries < 5; tries++) {
    // Written whole to a private name, then linked into place: the lock never exists half-written.
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(info), { mode: 0o600 });
    try {
      linkSync(tmp, file);
      unlinkSync(tmp);
      const write = () => {
        writeFileSync(tmp, JSON.stringify(info), { mode: 0o600 });
        renameSync(tmp, file); // atomic replacement of our own lock
      };
      return {
        held: true,
        update: (more) => {
          info = { ...info, ...more };
          write();
        },
        release: () => {
          // The data dir may be gone already (a test's temporary folder): nothing left to release.
          if (readLock(file)?.pid === process.pid) rmSync(file, { force: true });
        },
      };
    } catch (err) {
      unlinkSync(tmp);
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readLock(file);
    if (holder && holder.host === hostname() && !alive(holder.pid)) {
      // Stale: re-read just before removing, so a lock taken meanwhile by someone else is left alone.
      if (readLock(file)?.pid === holder.pid) rmSync(file, { force: true });
      continue;
    }
    if (holder) return { held: false, by: holder };
    // Unreadable: another process is between creating and writing it (cannot happen with link) or it is damaged.
    return {
      held: false,
      by: { pid: 0, host: '?', command: 'unknown (damaged lock file)', since: '', socketDir: null },
    };
  }
  throw new Error(`could not take ${file}`);
}

/** The operator's message when the lock is held by a process that does not serve the database. */
export function describeHolder(dataDir: string, by: LockInfo): string {
  return (
    `the embedded database in ${resolve(dataDir)} is in use by process ${by.pid} on ${by.host} (` +
    `${by.command}, since ${by.since}), which does not serve it to other processes: ` +
    `wait for it to finish or stop it, then try again (if no such process exists, remove ` +
    `${join(resolve(dataDir), LOCK_FILE)})`
  );
}

/** A folder for the socket that only this user can enter (short enough for a Unix socket path). */
function socketFolder(dataDir: string): string {
  const inData = join(resolve(dataDir), 'socket');
  if (inData.length + 20 < 100) {
    mkdirSync(inData, { recursive: true, mode: 0o700 });
    return inData;
  }
  return mkdtempSync(join(tmpdir(), 'blindlink-'));
}

export interface SocketGate {
  /** Hold the owner's database for one client connection; the returned function lets go. */
  hold(): Promise<() => void>;
}

export interface ServedSocket {
  socketDir: string;
  close(): Promise<void>;
}

/**
 * Offer the owner's PGlite to other processes: pglite-socket speaks the PostgreSQL protocol on an inner
 * socket, and a gate in front of it admits one client connection at a time and, for that connection's
 * life, holds the owner's own database access (the serialised driver), so a client's statements never
 * interleave with the broker's on PGlite's single session. A client idle for `idleMs` is cut off, so a
 * stuck operator command cannot stall the broker.
 */
export async function serveEmbedded(
  db: import('@electric-sql/pglite').PGlite,
  dataDir: string,
  gate: SocketGate,
  idleMs = 15_000,
): Promise<ServedSocket> {
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const dir = socketFolder(dataDir);
  const inner = join(dir, '.inner.sock');
  const outer = join(dir, `.s.PGSQL.${SOCKET_PORT}`);
  for (const p of [inner, outer]) rmSync(p, { force: true });
  // Two: the previous client's handler may still be detaching when the next is admitted.
  const socketServer = new PGLiteSocketServer({ db, path: inner, maxConnections: 2 });
  await socketServer.start();
  let queue: Promise<void> = Promise.resolve();
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    open.add(client);
    client.pause();
    client.once('close', () => open.delete(client));
    // One at a time, in arrival order.
    queue = queue.then(async () => {
      if (client.destroyed) return;
      const release = await gate.hold();
      await new Promise<void>((done) => {
        const upstream = connect(inner);
        const end = () => {
          client.destroy();
          upstream.destroy();
          done();
        };
        client.setTimeout(idleMs, end);
        client.once('close', end);
        upstream.once('close', end);
        client.on('error', end);
        upstream.on('error', end);
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
      release();
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(outer, () => ok());
  });
  return {
    socketDir: dir,
    close: async () => {
      for (const s of open) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await queue;
      await socketServer.stop();
      for (const p of [inner, outer]) rmSync(p, { force: true });
      if (dir.startsWith(tmpdir())) rmSync(dir, { recursive: true, force: true });
    },
  };
}
