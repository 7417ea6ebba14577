import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Our two command-line programs, run as a user would: separate Node processes. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const AGENCY_BIN = `${ROOT}agency-client/bin/blindlink-agency.js`;
export const BROKER_BIN = `${ROOT}broker/bin/blindlink-broker.js`;
export const SYNTH_BIN = `${ROOT}tools/synth/bin/blindlink-synth.js`;

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Start a program; `onStart` receives its pid (to sample its memory while it runs). */
export function run(
  bin: string,
  args: string[],
  env: Record<string, string | undefined> = {},
  onStart?: (pid: number) => void,
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid) onStart?.(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** run(), and a failure is an error naming the command and what it said. */
export async function must(
  bin: string,
  args: string[],
  env: Record<string, string | undefined> = {},
  onStart?: (pid: number) => void,
): Promise<Result> {
  const r = await run(bin, args, env, onStart);
  if (r.code !== 0) throw new Error(`${args.slice(0, 2).join(' ')} exited ${r.code}: ${r.stderr.slice(-2000)}`);
  return r;
}

export interface LongRunning {
  child: ChildProcess;
  pid: number;
  /** Everything it wrote so far. */
  output(): string;
  /** Settles when it exits, with how. */
  exited: Promise<string>;
  stop(): Promise<void>;
}

/**
 * Start a long-running program (`serve`, `worker`) and wait for a line matching `ready` (or, with no
 * pattern, return at once). Rejects if it exits first. `nodeArgs`: Node's own flags (`--cpu-prof`, which
 * NODE_OPTIONS refuses).
 */
export function start(
  bin: string,
  args: string[],
  env: Record<string, string | undefined>,
  ready?: RegExp,
  nodeArgs: string[] = [],
): Promise<LongRunning & { match: RegExpMatchArray | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, bin, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let settled = false;
    const exited = new Promise<string>((res) =>
      child.once('exit', (code, signal) => res(signal ? `killed by ${signal}` : `exited with ${code}`)),
    );
    const handle = (match: RegExpMatchArray | null) => ({
      child,
      pid: child.pid!,
      match,
      exited,
      output: () => out,
      stop: () =>
        new Promise<void>((res) => {
          if (child.exitCode !== null || child.signalCode !== null) return res();
          child.once('exit', () => res());
          child.kill('SIGTERM');
        }),
    });
    const onData = (d: Buffer) => {
      // Keep the tail only: a worker logs for as long as it runs.
      out = (out + d).slice(-200_000);
      const m = ready ? out.match(ready) : null;
      if (m && !settled) {
        settled = true;
        resolve(handle(m));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      if (!settled) {
        settled = true;
        reject(new Error(`${args[0]} exited with ${code} before it was ready:\n${out.slice(-4000)}`));
      }
    });
    if (!ready) {
      settled = true;
      resolve(handle(null));
    }
  });
}
