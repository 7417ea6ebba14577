import type { FilterView } from './filter-set.js';
import type { KernelRun } from './kernel-run.js';
import { popcount32 } from './popcount.js';
import { admissibleRange, popcountBounds } from './prune.js';
import type { PopcountOrder } from './prune.js';

export function createJsRun(
  A: FilterView,
  B: FilterView,
  t: number,
  order: PopcountOrder | null,
  pairList: Uint32Array | null,
): KernelRun {
  const w32 = A.words64 * 2;
  const aw = A.words;
  const bw = B.words;

  const common = (i: number, j: number): number => {
    const ao = i * w32;
    const bo = j * w32;
    let c = 0;
    for (let w = 0; w < w32; w++) c += popcount32((aw[ao + w] as number) & (bw[bo + w] as number));
    return c;
  };

  return {
    rows(from, to, out) {
      if (!order) throw new Error('rows() needs B in popcount order');
      for (let i = from; i < to; i++) {
        const pa = A.pops[i] as number;
        const { from: k0, to: k1 } = admissibleRange(order.pops, popcountBounds(pa, t));
        for (let k = k0; k < k1; k++) {
          const j = order.order[k] as number;
          const den = pa + (order.pops[k] as number);
          const score = den === 0 ? 0 : (2 * common(i, j)) / den;
          if (score >= t) out.push(i, j, score);
        }
      }
    },
    pairs(from, to, out) {
      if (!pairList) throw new Error('pairs() needs a candidate list');
      for (let k = from; k < to; k++) {
        const i = pairList[2 * k] as number;
        const j = pairList[2 * k + 1] as number;
        const pa = A.pops[i] as number;
        const pb = B.pops[j] as number;
        const bounds = popcountBounds(pa, t);
        if (pb < bounds.min || pb > bounds.max) continue;
        const den = pa + pb;
        const score = den === 0 ? 0 : (2 * common(i, j)) / den;
        if (score >= t) out.push(i, j, score);
      }
    },
  };
}
