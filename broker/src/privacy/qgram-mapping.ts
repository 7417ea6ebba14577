/**
 * Step 2 of pattern mining: which q-gram each mined itemset is. Candidates are the background's most
 * frequent bigrams; an itemset i is q-gram g when i co-occurs with the other itemsets in the same
 * proportions as g co-occurs with their q-grams (P(j|i) against P(h|g)). Started from a broad
 * frequency prior (the background is another population, its frequencies are only roughly right),
 * refined by a log-domain similarity-flooding iteration, ended by greedy one-to-one assignment.
 */
import { andCount } from './bits.js';
import { nameTokens } from './background.js';
import type { BackgroundValue } from './types.js';

/** Positions set together, the sampled records holding them all, and its support (a share). */
export interface Itemset {
  positions: number[];
  records: Uint32Array;
  support: number;
}

/**
 * Itemset → q-gram (or null). Candidates are the background's most frequent bigrams. First by
 * frequency, then by co-occurrence with the other itemsets' q-grams, greedy one-to-one each round.
 */
export function mapItemsets(itemsets: Itemset[], S: number, background: readonly BackgroundValue[]): (string | null)[] {
  const I = itemsets.length;
  const total = background.reduce((a, v) => a + v.count, 0);
  const gramCount = new Map<string, number>();
  const valueGrams = background.map((v) => bigrams(v.value));
  background.forEach((v, i) => {
    valueGrams[i]!.forEach((g) => {
      gramCount.set(g, (gramCount.get(g) ?? 0) + v.count);
    });
  });
  const C = Math.min(gramCount.size, Math.max(60, 2 * I));
  const grams = [...gramCount]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, C)
    .map(([g]) => g);
  const gIndex = new Map(grams.map((g, i) => [g, i]));
  const gFreq = grams.map((g) => gramCount.get(g)! / total);
  const gJoint = new Float64Array(C * C);
  background.forEach((v, vi) => {
    const idx = valueGrams[vi]!.map((g) => gIndex.get(g)).filter((x): x is number => x !== undefined);
    for (const a of idx) for (const b of idx) gJoint[a * C + b]! += v.count / total;
  });
  const iFreq = itemsets.map((it) => it.support);
  const iJoint = new Float64Array(I * I);
  for (let i = 0; i < I; i++)
    for (let j = i; j < I; j++)
      iJoint[i * I + j] = iJoint[j * I + i] = andCount(itemsets[i]!.records, itemsets[j]!.records) / S;

  // Soft assignment S(i, g), started from frequency alone (broad: the background is another
  // population) and sharpened by co-occurrence: i is g if the itemsets i co-occurs with are, in the
  // same proportions, the q-grams g co-occurs with (a similarity-flooding iteration).
  const logRatio = (i: number, g: number): number => Math.abs(Math.log(iFreq[i]! / gFreq[g]!));
  const prior = new Float64Array(I * C);
  for (let i = 0; i < I; i++) for (let g = 0; g < C; g++) prior[i * C + g] = Math.exp(-logRatio(i, g) / 0.5);
  normaliseRows(prior, I, C);
  let soft = Float64Array.from(prior);
  const anchors = [...Array(I).keys()].sort((x, y) => iFreq[y]! - iFreq[x]!).slice(0, 30);
  // P(j|i) and P(h|g) as tables, computed once (the same divisions the loop below would repeat).
  const condI = new Float64Array(I * I);
  for (let i = 0; i < I; i++) for (let j = 0; j < I; j++) condI[i * I + j] = iJoint[i * I + j]! / iFreq[i]!;
  const condG = new Float64Array(C * C);
  for (let g = 0; g < C; g++) for (let h = 0; h < C; h++) condG[g * C + h] = gJoint[g * C + h]! / gFreq[g]!;
  const A = anchors.length;
  const candH = new Int32Array(A * 4).fill(-1);
  const candW = new Float64Array(A * 4);
  const apart = new Float64Array(A * C);
  for (let round = 0; round < 8; round++) {
    // The few most likely q-grams of each anchor.
    anchors.forEach((j, a) => {
      const row = [...Array(C).keys()].sort((x, y) => soft[j * C + y]! - soft[j * C + x]!).slice(0, 4);
      row.forEach((h, k) => {
        candH[a * 4 + k] = h;
        candW[a * 4 + k] = soft[j * C + h]!;
      });
    });
    // Most itemset pairs never co-occur (P(j|i) = P(i|j) = 0): then an anchor's evidence depends on g
    // and the anchor's candidates alone, so it is computed once a round here, by the same expressions.
    for (let a = 0; a < A; a++)
      for (let g = 0; g < C; g++) {
        let support = 0;
        for (let k = a * 4; k < a * 4 + 4; k++) {
          const h = candH[k]!;
          if (h < 0 || h === g) continue;
          support += candW[k]! * Math.exp(-(Math.abs(0 - condG[g * C + h]!) + Math.abs(0 - condG[h * C + g]!)) / 0.1);
        }
        apart[a * C + g] = Math.log(0.05 + support);
      }
    const next = new Float64Array(I * C);
    for (let i = 0; i < I; i++) {
      for (let g = 0; g < C; g++) {
        if (prior[i * C + g]! < 1e-6) continue;
        // Each anchor is independent evidence: multiply (add logs), so the co-occurrence profile
        // as a whole, not the frequency prior, decides.
        let logSupport = 0;
        for (let a = 0; a < A; a++) {
          const j = anchors[a]!;
          if (j === i) continue;
          const pji = condI[i * I + j]!;
          const pij = condI[j * I + i]!;
          if (pji === 0 && pij === 0) {
            logSupport += apart[a * C + g]!;
            continue;
          }
          let support = 0;
          for (let k = a * 4; k < a * 4 + 4; k++) {
            const h = candH[k]!;
            if (h < 0 || h === g) continue;
            support +=
              candW[k]! * Math.exp(-(Math.abs(pji - condG[g * C + h]!) + Math.abs(pij - condG[h * C + g]!)) / 0.1);
          }
          logSupport += Math.log(0.05 + support);
        }
        next[i * C + g] = Math.log(prior[i * C + g]!) + logSupport;
      }
    }
    // Back from logs to a distribution per row.
    for (let i = 0; i < I; i++) {
      let max = -Infinity;
      for (let g = 0; g < C; g++) if (prior[i * C + g]! >= 1e-6) max = Math.max(max, next[i * C + g]!);
      for (let g = 0; g < C; g++) next[i * C + g] = prior[i * C + g]! >= 1e-6 ? Math.exp(next[i * C + g]! - max) : 0;
    }
    normaliseRows(next, I, C);
    soft = next;
  }
  const all: { i: number; g: number; s: number }[] = [];
  for (let i = 0; i < I; i++)
    for (let g = 0; g < C; g++) if (soft[i * C + g]! > 1e-4) all.push({ i, g, s: soft[i * C + g]! });
  all.sort((x, y) => y.s - x.s || x.i - y.i || x.g - y.g);
  const a = new Array<number>(I).fill(-1);
  const used = new Uint8Array(C);
  for (const { i, g } of all) {
    if (a[i] !== -1 || used[g]) continue;
    a[i] = g;
    used[g] = 1;
  }
  return a.map((g) => (g < 0 ? null : grams[g]!));
}

/** A name's padded bigrams (the whole-word token is too rare to mine). */
function bigrams(value: string): string[] {
  return nameTokens(value).filter((t) => !t.startsWith('w:'));
}

function normaliseRows(m: Float64Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += m[r * cols + c]!;
    if (sum > 0) for (let c = 0; c < cols; c++) m[r * cols + c]! /= sum;
  }
}
