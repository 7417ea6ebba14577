/**
 * Progress on stderr for long encodes: a redrawn bar when stderr is a terminal, otherwise (a log
 * file, CI) one plain line every few seconds. Nothing is shown for work that ends within a second.
 * Counts only: never a value from the data.
 */
export interface ProgressInfo {
  rows: number;
  rejected: number;
  bytesRead: number;
  bytesTotal: number;
  seconds: number;
}

export interface ProgressSink {
  (rows: number, info: ProgressInfo): void;
  /** Clears the bar (if one was drawn); call before printing the summary. */
  finish(): void;
}

export function stderrProgress(
  stream: NodeJS.WriteStream = process.stderr,
  /** label: the plain-line prefix ("encode", "upload"); rejections are shown unless showRejected is false. */
  opts: { lineEverySeconds?: number; label?: string; showRejected?: boolean } = {},
): ProgressSink {
  const tty = stream.isTTY === true;
  const every = tty ? 0.1 : (opts.lineEverySeconds ?? 5);
  let last = -Infinity;
  let drawn = false;
  const sink = ((rows: number, info: ProgressInfo) => {
    if (info.seconds < 1 || info.seconds - last < every) return;
    last = info.seconds;
    const rate = Math.round(rows / info.seconds);
    const frac = info.bytesTotal > 0 ? Math.min(1, info.bytesRead / info.bytesTotal) : 0;
    const eta = frac > 0 ? info.seconds * (1 / frac - 1) : NaN;
    const tail = `${rows.toLocaleString('en-GB')} rows, ${opts.showRejected === false ? '' : `${info.rejected} rejected, `}${rate.toLocaleString('en-GB')} rows/s${Number.isFinite(eta) ? `, ~${Math.ceil(eta)} s left` : ''}`;
    if (tty) {
      const width = 30;
      const full = Math.round(frac * width);
      stream.write(
        `\r[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(frac * 100).toFixed(0).padStart(3)}% ${tail}\x1b[K`,
      );
      drawn = true;
    } else {
      stream.write(`${opts.label ?? 'encode'}: ${(frac * 100).toFixed(0)}% ${tail}\n`);
    }
  }) as ProgressSink;
  sink.finish = () => {
    if (drawn) stream.write('\r\x1b[K');
    drawn = false;
  };
  return sink;
}
