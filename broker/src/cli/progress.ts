import cliProgress from 'cli-progress';
import type { EngineProgress } from '../linkage/types.js';

/**
 * Progress on stderr for the operator's long commands (link): a redrawn bar (cli-progress) when
 * stderr is a terminal, otherwise (a log file, CI) one plain line at a time, never a carriage
 * return. Nothing is shown for work that ends within a second. Counts only: never a value from the data.
 */
export interface Progress {
  /** `value` of `total` done; `detail`: the counts after the bar; `now`: shown without waiting for the interval. */
  update(value: number, detail: string, now?: boolean): void;
  /** Clears the bar (if one was drawn); call before printing the summary. */
  stop(): void;
}

export function progress(opts: {
  /** What is measured ("link"): the prefix of each plain line. */
  label: string;
  total: number;
  stream?: NodeJS.WriteStream;
  /** Plain lines at most this often (default 5 s), unless `now`. */
  everySeconds?: number;
}): Progress {
  const stream = opts.stream ?? process.stderr;
  const started = Date.now();
  const seconds = () => (Date.now() - started) / 1000;
  if (stream.isTTY === true) {
    let bar: cliProgress.SingleBar | undefined;
    return {
      update(value, detail) {
        if (seconds() < 1) return;
        if (!bar) {
          bar = new cliProgress.SingleBar({
            stream,
            format: `${opts.label} [{bar}] {detail}`,
            barsize: 30,
            clearOnComplete: true,
            // No signal handlers of its own (they would keep Ctrl-C from ending the command), so the
            // cursor is left visible: nothing to restore after an interrupt.
            hideCursor: false,
            gracefulExit: false,
          });
          bar.start(opts.total, 0, { detail: '' });
        }
        bar.update(value, { detail });
        // The engine runs on this thread: the bar's own timer cannot fire until it is done.
        bar.render();
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
    update(_value, detail, force = false) {
      const now = seconds();
      if (now < 1 || (!force && now - last < every)) return;
      const line = `${opts.label}: ${detail}`;
      if (line === lastLine) return;
      last = now;
      lastLine = line;
      stream.write(`${line}\n`);
    },
    stop() {},
  };
}

const STAGES = ['loading', 'blocking', 'scoring', 'entities', 'households', 'done'];

/** `blindlink-broker link`: a bar over the engine's stages, or a line as each stage starts. */
export function linkProgress(stream?: NodeJS.WriteStream) {
  const p = progress({ label: 'link', total: STAGES.length - 1, ...(stream ? { stream } : {}) });
  const n = (v: number | undefined, what: string) => (v === undefined ? [] : [`${v.toLocaleString('en-GB')} ${what}`]);
  const show = (s: EngineProgress | { stage: 'loading'; records: number }) => {
    const e = s as Partial<EngineProgress>;
    const counts = [
      ...n(s.records, 'records'),
      ...n(e.candidatePairs, 'candidate pairs'),
      ...n(e.pairsScored, 'pairs scored'),
      ...n(e.entities, 'entities'),
    ];
    p.update(Math.max(0, STAGES.indexOf(s.stage)), `${s.stage}: ${counts.join(', ')}`, true);
  };
  show.stop = () => p.stop();
  return show;
}
