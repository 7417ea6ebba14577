import type { RunStatus } from '@blindlink/protocol';
import cliProgress from 'cli-progress';

/**
 * Progress on stderr for the agency's long commands (encode, submit, run): a redrawn bar
 * (cli-progress) when stderr is a terminal, otherwise (a log file, CI) one plain line every few
 * seconds, never a carriage return. Nothing is shown for work that ends within a second.
 * Counts only: never a value from the data.
 */
export interface Progress {
  /** `value` of `total` done; `detail`: the counts after the bar; `now`: shown without waiting for the interval. */
  update(value: number, detail: string, now?: boolean): void;
  /** A line that must stay (a retry): printed above the bar, or as it is. */
  log(line: string): void;
  /** Clears the bar (if one was drawn); call before printing the summary. */
  stop(): void;
}

export interface ProgressOptions {
  /** What is measured ("encode", "upload", "run"): the prefix of each plain line. */
  label: string;
  total: number;
  stream?: NodeJS.WriteStream;
  /** Plain lines at most this often (default 5 s). */
  everySeconds?: number;
  /** Whether to show a percentage and an estimate of the time left (default true). */
  eta?: boolean;
}

const n = (v: number) => Math.round(v).toLocaleString('en-GB');

export function progress(opts: ProgressOptions): Progress {
  const stream = opts.stream ?? process.stderr;
  const started = Date.now();
  const seconds = () => (Date.now() - started) / 1000;
  const eta = opts.eta !== false;
  if (stream.isTTY === true) {
    let bar: cliProgress.SingleBar | undefined;
    return {
      update(value, detail) {
        if (!bar) {
          if (seconds() < 1) return;
          bar = new cliProgress.SingleBar({
            stream,
            format: `${opts.label} [{bar}] ${eta ? '{percentage}% ' : ''}{detail}${eta ? '{left}' : ''}`,
            barsize: 30,
            clearOnComplete: true,
            // No signal handlers of its own (they would keep Ctrl-C from ending the command), so the
            // cursor is left visible: nothing to restore after an interrupt.
            hideCursor: false,
            gracefulExit: false,
          });
          bar.start(opts.total, 0, { detail: '', left: '' });
        }
        const left = value > 0 && value < opts.total ? seconds() * (opts.total / value - 1) : Number.NaN;
        bar.update(value, { detail, left: Number.isFinite(left) ? `, ~${Math.ceil(left)} s left` : '' });
      },
      log(line) {
        if (bar) {
          bar.stop();
          bar = undefined;
        }
        stream.write(`${line}\n`);
      },
      stop() {
        bar?.stop();
        bar = undefined;
      },
    };
  }
  const every = opts.everySeconds ?? 5;
  let last = -Infinity;
  let lastLine = '';
  return {
    update(value, detail, force = false) {
      const now = seconds();
      if (now < 1 || (!force && now - last < every)) return;
      const pct = opts.total > 0 ? Math.min(100, (100 * value) / opts.total) : 0;
      const left = value > 0 && value < opts.total ? now * (opts.total / value - 1) : Number.NaN;
      const share = eta ? `${pct.toFixed(0)}% ` : '';
      const remaining = eta && Number.isFinite(left) ? `, ~${Math.ceil(left)} s left` : '';
      const line = `${opts.label}: ${share}${detail}${remaining}`;
      if (line === lastLine) return;
      last = now;
      lastLine = line;
      stream.write(`${line}\n`);
    },
    log(line) {
      stream.write(`${line}\n`);
    },
    stop() {},
  };
}

/** Encoding: the share of the input file read, with rows and rate. */
export function encodeProgress(stream?: NodeJS.WriteStream) {
  let p: Progress | undefined;
  const show = (info: { rows: number; rejected?: number; bytesRead: number; bytesTotal: number; seconds: number }) => {
    p ??= progress({ label: 'encode', total: Math.max(1, info.bytesTotal), ...(stream ? { stream } : {}) });
    const rejected = info.rejected ? `, ${n(info.rejected)} rejected` : '';
    p.update(info.bytesRead, `${n(info.rows)} rows${rejected}, ${n(info.rows / Math.max(info.seconds, 1e-9))} rows/s`);
  };
  show.stop = () => p?.stop();
  return show;
}

/** Uploading: records the broker holds of the file's total. */
export function uploadProgress(stream?: NodeJS.WriteStream) {
  let p: Progress | undefined;
  const show = (u: { records: number; totalRecords: number; seconds: number }) => {
    p ??= progress({ label: 'upload', total: Math.max(1, u.totalRecords), ...(stream ? { stream } : {}) });
    p.update(
      u.records,
      `${n(u.records)} of ${n(u.totalRecords)} records, ${n(u.records / Math.max(u.seconds, 1e-9))} rows/s`,
    );
  };
  show.log = (line: string) => (p ? p.log(line) : (stream ?? process.stderr).write(`${line}\n`));
  show.stop = () => p?.stop();
  return show;
}

/** A run's stages in order, as the broker reports them (RunStatus.stage). */
const STAGES = ['queued', 'loading', 'blocking', 'scoring', 'entities', 'households', 'storing', 'done'];

/** One line about a run (its id first): its stage and the counts so far (counts only, never a value from the data). */
export function describeRun(s: RunStatus): string {
  const c = (v: number | undefined, what: string) => (v === undefined ? [] : [`${n(v)} ${what}`]);
  const counts = [
    ...c(s.progress.recordsLoaded, 'records'),
    ...(s.progress.partitions && s.stage === 'blocking'
      ? [`${n(s.progress.partitionsDone ?? 0)} of ${n(s.progress.partitions)} partitions`]
      : []),
    ...c(s.progress.candidatePairs, 'candidate pairs'),
    ...c(s.progress.pairsScored, 'pairs scored'),
    ...c(s.progress.entities, 'entities'),
  ];
  return (
    `${s.runId.slice(0, 8)} ${s.status}${s.stage && s.stage !== s.status ? ` (${s.stage})` : ''}` +
    `${s.attempt > 1 ? `, attempt ${s.attempt}` : ''}${counts.length ? `: ${counts.join(', ')}` : ''}`
  );
}

/**
 * A run while `blindlink-agency run` waits: a bar over the stages on a terminal, otherwise a line
 * when the stage changes and at most one every few seconds while the counts move.
 */
export function runProgress(stream: NodeJS.WriteStream = process.stderr) {
  const p = progress({ label: 'run', total: STAGES.length - 1, stream, eta: false });
  let stage: string | null | undefined;
  const show = (s: RunStatus) => {
    // A new stage is shown at once; the interval only limits lines about moving counts.
    p.update(Math.max(0, STAGES.indexOf(s.stage ?? 'queued')), describeRun(s), s.stage !== stage);
    stage = s.stage;
  };
  show.stop = () => p.stop();
  return show;
}
