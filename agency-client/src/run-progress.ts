import type { RunStatus } from '@blindlink/protocol';

/** A run's stages in order, as the broker reports them (RunStatus.stage). */
const STAGES = ['queued', 'loading', 'blocking', 'scoring', 'entities', 'households', 'storing', 'done'];

/** One line about a run: its stage and the counts so far (counts only, never a value from the data). */
export function describeRun(s: RunStatus): string {
  const n = (v: number | undefined, what: string) => (v === undefined ? [] : [`${v.toLocaleString('en-GB')} ${what}`]);
  const counts = [
    ...n(s.progress.recordsLoaded, 'records'),
    ...n(s.progress.candidatePairs, 'candidate pairs'),
    ...n(s.progress.pairsScored, 'pairs scored'),
    ...n(s.progress.entities, 'entities'),
  ];
  return `run ${s.runId.slice(0, 8)} ${s.status}${s.stage && s.stage !== s.status ? ` (${s.stage})` : ''}${s.attempt > 1 ? `, attempt ${s.attempt}` : ''}${counts.length ? `: ${counts.join(', ')}` : ''}`;
}

/**
 * Progress of a run on stderr while `blindlink-agency run` waits: a redrawn bar over the stages when
 * stderr is a terminal, otherwise one line each time the stage changes (as encode's progress does).
 */
export function runProgress(stream: NodeJS.WriteStream = process.stderr) {
  const tty = stream.isTTY === true;
  let lastLine = '';
  let drawn = false;
  const show = (s: RunStatus) => {
    const line = describeRun(s);
    if (tty) {
      const width = 24;
      const at = Math.max(0, STAGES.indexOf(s.stage ?? 'queued'));
      const full = Math.round((at / (STAGES.length - 1)) * width);
      stream.write(`\r[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${line}\x1b[K`);
      drawn = true;
    } else if (line !== lastLine) {
      stream.write(`${line}\n`);
    }
    lastLine = line;
  };
  show.finish = () => {
    if (drawn) stream.write('\r\x1b[K');
    drawn = false;
  };
  return show;
}
