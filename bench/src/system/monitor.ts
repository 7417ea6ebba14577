import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';

/** Resident set of a live process, MB; NaN once it has gone. */
function rssMb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
  } catch {
    return NaN;
  }
}

/** CPU time a live process has used (user + system), seconds; NaN once it has gone. */
function cpuSeconds(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

/**
 * Peak resident memory and CPU time per labelled process, sampled every 100 ms from /proc/<pid>/status (VmRSS: a
 * process's own high-water mark, VmHWM, cannot be reset between stages). Processes are labelled
 * (`broker`, `worker 1`, `client`); several pids under one label report their largest.
 */
export class MemorySampler {
  private readonly pids = new Map<number, string>();
  private peaks = new Map<string, number>();
  /** Per pid: CPU seconds at the stage's start (or when first seen) and at the last sample. */
  private cpu = new Map<number, { first: number; last: number }>();
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => this.sample(), 100);
    this.timer.unref();
  }

  track(pid: number, label: string): void {
    this.pids.set(pid, label);
    this.sample();
  }

  untrack(pid: number): void {
    this.sample();
    // Its CPU time still counts in this stage's figures.
    const label = this.pids.get(pid);
    if (label) this.gone.set(pid, label);
    this.pids.delete(pid);
  }

  private readonly gone = new Map<number, string>();

  private sample(): void {
    for (const [pid, label] of this.pids) {
      const mb = rssMb(pid);
      if (Number.isFinite(mb) && mb > (this.peaks.get(label) ?? 0)) this.peaks.set(label, mb);
      const c = cpuSeconds(pid);
      if (Number.isFinite(c)) {
        const seen = this.cpu.get(pid);
        if (seen) seen.last = c;
        else this.cpu.set(pid, { first: c, last: c });
      }
    }
  }

  /** The peaks and CPU seconds per label since the last call, and start again. */
  takePeaks(): { peaks: Map<string, number>; cpu: Map<string, number> } {
    this.sample();
    const p = this.peaks;
    this.peaks = new Map();
    const cpu = new Map<string, number>();
    for (const [pid, c] of this.cpu) {
      const label = this.pids.get(pid) ?? this.gone.get(pid);
      if (label) cpu.set(label, (cpu.get(label) ?? 0) + c.last - c.first);
      c.first = c.last;
    }
    for (const pid of this.gone.keys()) this.cpu.delete(pid);
    this.gone.clear();
    return { peaks: p, cpu };
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export interface ProbeFigures {
  sent: number;
  failed: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * A monitoring probe: an HTTPS request to the broker every 100 ms, whether or not the last one has
 * answered (a slow broker must not slow the probe down and hide its own latency), over kept-alive
 * connections so the figure is the broker's answer time, not a TLS handshake's.
 */
export class Probe {
  private latencies: number[] = [];
  private failed = 0;
  private sent = 0;
  private pending = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private readonly agent: Agent;

  constructor(
    private readonly url: string,
    caPem: string,
  ) {
    this.agent = new Agent({ keepAlive: true, ca: caPem, maxSockets: 64 });
  }

  start(): void {
    this.timer = setInterval(() => this.once(), 100);
  }

  private once(): void {
    const t0 = performance.now();
    this.sent++;
    const done = new Promise<void>((resolve) => {
      const req = request(this.url, { agent: this.agent, timeout: 30_000 }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) this.latencies.push(performance.now() - t0);
          else this.failed++;
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        this.failed++;
        resolve();
      });
      req.end();
    });
    this.pending.add(done);
    void done.then(() => this.pending.delete(done));
  }

  /** The figures since the last call (waiting for the probes in flight: the slowest count most), and start again. */
  async take(): Promise<ProbeFigures> {
    await Promise.all([...this.pending]);
    const s = this.latencies.sort((a, b) => a - b);
    const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN);
    const r = { sent: this.sent, failed: this.failed, p50: at(0.5), p99: at(0.99), max: s.at(-1) ?? NaN };
    this.latencies = [];
    this.failed = 0;
    this.sent = 0;
    return r;
  }

  stop(): void {
    clearInterval(this.timer);
    this.agent.destroy();
  }
}
