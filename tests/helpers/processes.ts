import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const AGENCY_BIN = `${ROOT}agency-client/bin/blindlink-agency.js`;
export const BROKER_BIN = `${ROOT}broker/bin/blindlink-broker.js`;

/**
 * The command line that starts one of our programs as a user would: `node <bin> <args>`, without the
 * module hooks tap puts in NODE_OPTIONS for every child process (@tapjs/processinfo, for coverage,
 * which these tests disable). Those hooks run on a separate thread for each module loaded and doubled
 * the CPU of every CLI start (broker: 0.9 s → 1.9 s). tap re-adds them to the environment of any
 * spawn, so `env` drops them just before node starts; other NODE_OPTIONS are kept.
 */
export function nodeCommand(bin: string, args: string[]): [string, string[]] {
  const own = (process.env.NODE_OPTIONS ?? '')
    .split(/\s+/)
    .filter((o) => o && !/@tapjs[\\/]processinfo/.test(o))
    .join(' ');
  const env = own ? [`NODE_OPTIONS=${own}`] : ['-u', 'NODE_OPTIONS'];
  return ['env', [...env, process.execPath, bin, ...args]];
}

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run one of our command-line programs to completion, as a user would. */
export function run(
  bin: string,
  args: string[],
  opts: { env?: Record<string, string | undefined>; cwd?: string } = {},
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(...nodeCommand(bin, args), {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface BrokerProcess {
  url: string;
  child: ChildProcess;
  /** Everything the broker wrote to stdout and stderr so far. */
  logs(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Start `blindlink-broker serve` on an ephemeral port and wait until it listens. */
export function startBrokerProcess(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<BrokerProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(...nodeCommand(BROKER_BIN, ['serve', '--port', '0', ...args]), {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'debug', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let settled = false;
    const onData = (d: Buffer) => {
      out += d;
      const m = out.match(/listening on (https?:\/\/[^\s]+)/);
      if (m && !settled) {
        settled = true;
        resolve({
          url: m[1]!,
          child,
          logs: () => out,
          stop: (signal = 'SIGTERM') =>
            new Promise((res) => {
              if (child.exitCode !== null) return res();
              child.once('exit', () => res());
              child.kill(signal);
            }),
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      if (!settled) reject(new Error(`broker exited with ${code} before listening:\n${out}`));
    });
  });
}
