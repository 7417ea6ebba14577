import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FastifyBaseLogger } from 'fastify';

const CLI = fileURLToPath(new URL('../../bin/blindlink-broker.js', import.meta.url));

export interface ForkedWorker {
  /** The live child's pid (tests kill it to show a run survives its worker). */
  pid(): number | undefined;
  /** SIGTERM the child (it finishes the run under way) and wait for it to exit. */
  stop(): Promise<void>;
}

/**
 * `serve`'s own job worker: the CLI's `worker` command in a child process, so linking never runs on
 * the API's event loop or competes with it for the heap. Restarted after a pause if it dies; its run
 * is then taken over by whichever worker comes first (graphile-runner.ts).
 */
export function forkWorker(o: {
  dataDir: string;
  databaseUrl: string;
  logger: FastifyBaseLogger;
  restartAfterMs?: number;
}): ForkedWorker {
  let child: ChildProcess | null = null;
  let stopping = false;
  let restartTimer: NodeJS.Timeout | null = null;
  const start = () => {
    restartTimer = null;
    if (stopping) return;
    const c = fork(CLI, ['worker', '--data-dir', o.dataDir], {
      env: { ...process.env, DATABASE_URL: o.databaseUrl },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child = c;
    o.logger.info({ pid: c.pid }, 'job worker started');
    c.once('exit', (code, signal) => {
      if (child === c) child = null;
      if (stopping) return;
      o.logger.warn({ code, signal }, 'the job worker stopped; restarting it');
      restartTimer = setTimeout(start, o.restartAfterMs ?? 2000);
      restartTimer.unref();
    });
  };
  start();
  return {
    pid: () => child?.pid,
    stop: async () => {
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGTERM');
      });
    },
  };
}
