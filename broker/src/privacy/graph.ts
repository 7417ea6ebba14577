/**
 * Attack (c): graph matching (after Vidanage, Ranbaduge, Christen and Schnell, "A graph matching
 * attack on privacy-preserving record linkage", CIKM 2020). Two similarity graphs, one of the
 * distinct encoded filters (Dice of the bits) and one of the background's values (Dice of their
 * q-gram sets), are built over the same number of nodes (the most frequent of each, at most
 * `nodes`: full overlap is assumed). Each node gets features that survive the change of space:
 * its degree at several similarity thresholds taken at the same quantiles of each graph's
 * similarity distribution, its highest similarities and its frequency; features are standardised
 * per graph (which calibrates one similarity against the other). Each filter is matched to the
 * nearest values in feature space; the top guess by greedy one-to-one assignment of close pairs.
 */
import { dice } from './bits.js';
import { nameTokens } from './background.js';
import { distinctFilters, spread } from './columns.js';
import type { AttackResult, BackgroundValue, FieldColumn } from './types.js';

export interface GraphOptions {
  /** Nodes per graph (most frequent first); default 1,500. The cost grows with its square. */
  nodes?: number;
  top?: number;
}

const QUANTILES = [0.999, 0.995, 0.99, 0.98, 0.95, 0.9];
const TOP_SIMS = 5;

export function graphMatching(
  column: Pick<FieldColumn, 'filters' | 'bits'>,
  background: readonly BackgroundValue[],
  opts: GraphOptions = {},
): AttackResult {
  const top = opts.top ?? 10;
  const d = distinctFilters(column.filters, column.bits);
  const G = Math.min(opts.nodes ?? 1500, d.words.length, background.length);
  if (G < 3) return { guesses: spread(d, [], null), confident: new Uint8Array(column.filters.length) };

  // Most frequent filters (ties: first seen) and most frequent values.
  const order = [...d.counts.keys()].sort((a, b) => d.counts[b]! - d.counts[a]! || a - b).slice(0, G);
  const records = d.counts.reduce((a, b) => a + b, 0);
  const total = background.reduce((a, v) => a + v.count, 0);
  const values = background.slice(0, G);

  const encSim = (i: number, j: number): number =>
    dice(d.words[order[i]!]!, d.words[order[j]!]!, d.pops[order[i]!]!, d.pops[order[j]!]!);
  const tokenIds = new Map<string, number>();
  const tokenId = (t: string): number => {
    let id = tokenIds.get(t);
    if (id === undefined) {
      id = tokenIds.size;
      tokenIds.set(t, id);
    }
    return id;
  };
  const valueTokens = values.map((v) => Int32Array.from(nameTokens(v.value).map(tokenId)).sort());
  const valSim = (i: number, j: number): number => setDice(valueTokens[i]!, valueTokens[j]!);

  const encFeatures = features(
    G,
    encSim,
    order.map((f) => Math.log(d.counts[f]!)),
  );
  const valFeatures = features(
    G,
    valSim,
    values.map((v) => Math.log((v.count / total) * records)),
  );

  // Nearest values in feature space.
  const F = encFeatures[0]!.length;
  const near: { v: number; dist: number }[][] = encFeatures.map((a) => {
    const all: { v: number; dist: number }[] = [];
    valFeatures.forEach((b, v) => {
      let s = 0;
      for (let f = 0; f < F; f++) s += (a[f]! - b[f]!) ** 2;
      all.push({ v, dist: Math.sqrt(s) });
    });
    return all.sort((x, y) => x.dist - y.dist || x.v - y.v).slice(0, top);
  });
  // Top guess: greedy one-to-one over the close pairs (each value explains one filter).
  const pairs = near
    .flatMap((list, e) => list.map((c) => ({ e, v: c.v, dist: c.dist })))
    .sort((x, y) => x.dist - y.dist || x.e - y.e || x.v - y.v);
  const first = new Int32Array(G).fill(-1);
  const taken = new Uint8Array(G);
  for (const p of pairs) {
    if (first[p.e] !== -1 || taken[p.v]) continue;
    first[p.e] = p.v;
    taken[p.v] = 1;
  }
  const perDistinct: (string[] | null)[] = new Array(d.words.length).fill(null);
  const confidentDistinct = new Uint8Array(d.words.length);
  order.forEach((f, e) => {
    const list = near[e]!.map((c) => c.v);
    const lead = first[e]! >= 0 ? first[e]! : list[0]!;
    perDistinct[f] = [lead, ...list.filter((v) => v !== lead)].slice(0, top).map((v) => values[v]!.value);
    // The attacker's own check: the nearest value is clearly nearer than the next.
    const [a, b] = near[e]!;
    confidentDistinct[f] = a && b && a.dist < 0.7 * b.dist ? 1 : 0;
  });
  return {
    guesses: spread(d, perDistinct, null),
    confident: Uint8Array.from(spread(d, Array.from(confidentDistinct), 0)),
  };
}

/** Per node: log degree at each quantile threshold, its top similarities, its log frequency; standardised. */
function features(n: number, sim: (i: number, j: number) => number, logFreq: number[]): Float64Array[] {
  const sims = new Float32Array((n * (n - 1)) / 2);
  let x = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) sims[x++] = sim(i, j);
  const sorted = Float32Array.from(sims).sort();
  const thresholds = QUANTILES.map((q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
  const degree = QUANTILES.map(() => new Float64Array(n));
  const topSims = Array.from({ length: n }, () => [] as number[]);
  x = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const s = sims[x++]!;
      thresholds.forEach((t, k) => {
        if (s >= t && s > 0) {
          degree[k]![i]!++;
          degree[k]![j]!++;
        }
      });
      pushTop(topSims[i]!, s);
      pushTop(topSims[j]!, s);
    }
  }
  const rows = Array.from({ length: n }, (_, i) =>
    Float64Array.from([
      ...degree.map((dg) => Math.log1p(dg[i]!)),
      ...topSims[i]!.concat(new Array(TOP_SIMS).fill(0)).slice(0, TOP_SIMS),
      logFreq[i]!,
    ]),
  );
  // Standardise each feature within its graph; frequency counts twice (the strongest signal when it exists).
  const F = rows[0]!.length;
  for (let f = 0; f < F; f++) {
    let mean = 0;
    for (const r of rows) mean += r[f]!;
    mean /= n;
    let v = 0;
    for (const r of rows) v += (r[f]! - mean) ** 2;
    const sd = Math.sqrt(v / n);
    const w = f === F - 1 ? 2 : 1;
    for (const r of rows) r[f] = sd > 1e-9 ? (w * (r[f]! - mean)) / sd : 0;
  }
  return rows;
}

function pushTop(list: number[], s: number): void {
  if (list.length === TOP_SIMS && s <= list[TOP_SIMS - 1]!) return;
  let i = list.length;
  while (i > 0 && list[i - 1]! < s) i--;
  list.splice(i, 0, s);
  if (list.length > TOP_SIMS) list.pop();
}

function setDice(a: Int32Array, b: Int32Array): number {
  let i = 0;
  let j = 0;
  let common = 0;
  while (i < a.length && j < b.length) {
    if (a[i]! === b[j]!) {
      common++;
      i++;
      j++;
    } else if (a[i]! < b[j]!) i++;
    else j++;
  }
  return (2 * common) / (a.length + b.length);
}
