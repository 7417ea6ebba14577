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
