/**
 * Charts drawn on the server as SVG: no script, so they show with JavaScript off and under a
 * Content-Security-Policy that allows no inline script. Pure functions from numbers to shapes; the
 * template draws them, and every chart sits beside a table holding the same figures.
 */

export interface Bar {
  label: string;
  /** null: suppressed, drawn as a marked gap. */
  value: number | null;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface BarChart {
  width: number;
  height: number;
  /** The baseline's y and the largest value, for the axis. */
  baseline: number;
  max: number;
  bars: Bar[];
}

const PLOT_HEIGHT = 200;
const TOP = 20;
const LEFT = 40;
const BAR = 36;
const GAP = 16;

export function barChart(items: readonly { label: string; value: number | null }[]): BarChart {
  const max = Math.max(1, ...items.map((i) => i.value ?? 0));
  const baseline = TOP + PLOT_HEIGHT;
  const scale = (v: number) => (v / max) * PLOT_HEIGHT;
  const bars = items.map((item, i) => {
    const h = item.value === null ? 0 : scale(item.value);
    return { label: item.label, value: item.value, x: LEFT + i * (BAR + GAP), y: baseline - h, width: BAR, height: h };
  });
  return {
    width: LEFT + items.length * (BAR + GAP) + GAP,
    height: baseline + 60,
    baseline,
    max,
    bars,
  };
}

export interface HistogramChart {
  width: number;
  height: number;
  baseline: number;
  /** The largest bin's pairs, for the axis. */
  max: number;
  bars: { from: number; to: number; pairs: number; x: number; y: number; width: number; height: number }[];
  /** Weight labels under the axis, every few bins. */
  ticks: { x: number; label: string }[];
  /** The threshold's line (clamped to the plot when it lies outside the weights seen). */
  threshold: { x: number; value: number };
}

const BIN = 12;

/**
 * A histogram of match weights with the threshold marked. Heights on a log scale: non-matches
 * outnumber matches by orders of magnitude, and on a linear scale the matches' hump would not show.
 */
export function histogramChart(
  bins: readonly { from: number; to: number; pairs: number }[],
  threshold: number,
): HistogramChart {
  const max = Math.max(1, ...bins.map((b) => b.pairs));
  const baseline = TOP + PLOT_HEIGHT;
  const scale = (v: number) => (Math.log10(1 + v) / Math.log10(1 + max)) * PLOT_HEIGHT;
  const bars = bins.map((b, i) => {
    const h = scale(b.pairs);
    return { ...b, x: LEFT + i * BIN, y: baseline - h, width: BIN - 1, height: h };
  });
  const lo = bins[0]?.from ?? 0;
  const width = bins.length ? bins[0]!.to - bins[0]!.from : 1;
  const xOf = (w: number) => LEFT + ((w - lo) / width) * BIN;
  const right = LEFT + bins.length * BIN;
  const every = Math.max(1, Math.ceil(5 / width));
  const ticks = bins
    .map((b, i) => ({ i, b }))
    .filter(({ i }) => i % every === 0)
    .map(({ b }) => ({ x: xOf(b.from), label: String(b.from) }));
  return {
    width: right + GAP + 40,
    height: baseline + 40,
    baseline,
    max,
    bars,
    ticks,
    threshold: { x: Math.min(right, Math.max(LEFT, xOf(threshold))), value: threshold },
  };
}
