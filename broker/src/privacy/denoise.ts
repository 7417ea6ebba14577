/**
 * Cluster, then denoise: an attack on per-record randomness. Bits flipped independently per record
 * (uk-person version 3 flips name and date-of-birth filters with p = 0.2) average away over the
 * records that carry the same value, if the attacker can find them. Two flipped filters of one value
 * are still far more alike (Dice about 0.5 at p = 0.2) than two of different values (about 0.35), so:
 *
 * 1. On a sample, link every pair of filters above a Dice threshold set between the typical pair
 *    and the typical nearest neighbour; take the densest filters as leaders, each with its
 *    unclaimed neighbours as a cluster, and majority-vote each cluster's bits into a centre.
 * 2. Assign every record to its nearest centre (a noisy filter is much closer to its own value's
 *    denoised centre than to another's), and vote again over all members.
 * 3. Every record of a cluster now carries the same, nearly noise-free filter: exact-repeat
 *    frequency alignment (cluster sizes against the background) and pattern mining run on those.
 *
 * Records near no centre are left out (null): their noisy filters would only hide the centres'
 * patterns from mining. The cost is a sample's pairs and records × centres.
 */
import { andCount, dice, popcountWords } from './bits.js';
import { distinctFilters } from './columns.js';
import { Rng } from './stats.js';

export interface DenoiseOptions {
  seed: string;
  /** Filters sampled to find clusters; default 2,000. */
  sample?: number;
  /** At most this many centres (the most frequent values); default 300. */
  centres?: number;
  /** Smallest cluster worth a centre; default 3. */
  minCluster?: number;
}

export interface Denoised {
  /** Per record: its cluster's centre (base64), or null when it joined none. */
  filters: (string | null)[];
  clusters: number;
  /** Records that joined a cluster, of those with a filter. */
  assigned: number;
  present: number;
}

export function clusterDenoise(filters: readonly (string | null)[], bits: number, opts: DenoiseOptions): Denoised {
  const d = distinctFilters(filters, bits);
  const present = filters.filter((f) => f !== null).length;
  const out: Denoised = { filters: filters.map(() => null), clusters: 0, assigned: 0, present };
  const D = d.words.length;
  if (D < 10) return out;
  const minCluster = opts.minCluster ?? 3;
  const rng = new Rng(`${opts.seed}:denoise`);
  // Sample records (not distinct filters), so that frequent values are sampled as often as they occur.
  const withFilter: number[] = [];
  d.ofRecord.forEach((x, r) => {
    if (x >= 0) withFilter.push(r);
  });
  const n = Math.min(withFilter.length, opts.sample ?? 2000);
  for (let i = 0; i < n; i++) {
    const j = i + rng.int(withFilter.length - i);
    [withFilter[i], withFilter[j]] = [withFilter[j]!, withFilter[i]!];
  }
  const sw = withFilter.slice(0, n).map((r) => d.words[d.ofRecord[r]!]!);
  const sp = sw.map(popcountWords);
  const sim = new Float32Array(n * n);
  const nn = new Float64Array(n);
  const all: number[] = [];
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const s = dice(sw[i]!, sw[j]!, sp[i]!, sp[j]!);
      sim[i * n + j] = sim[j * n + i] = s;
      if (s > nn[i]!) nn[i] = s;
      if (s > nn[j]!) nn[j] = s;
      if ((i * n + j) % 7 === 0) all.push(s);
    }
  const typical = median(all);
  const near = median(Array.from(nn));
  if (near - typical < 0.05) return out;
  const tau = typical + 0.6 * (near - typical);

  // Leaders: densest first; a cluster is a leader's unclaimed neighbours above the threshold.
  const degree = Array.from({ length: n }, (_, i) => {
    let c = 0;
    for (let j = 0; j < n; j++) if (sim[i * n + j]! >= tau) c++;
    return c;
  });
  const order = [...Array(n).keys()].sort((a, b) => degree[b]! - degree[a]! || a - b);
  const claimed = new Uint8Array(n);
  let centres: Uint32Array[] = [];
  for (const i of order) {
    if (claimed[i] || degree[i]! + 1 < minCluster || centres.length >= (opts.centres ?? 300)) continue;
    const members = [i];
    for (let j = 0; j < n; j++) if (!claimed[j] && j !== i && sim[i * n + j]! >= tau) members.push(j);
    if (members.length < minCluster) continue;
    for (const j of members) claimed[j] = 1;
    centres.push(
      vote(
        members.map((j) => sw[j]!),
        bits,
      ),
    );
  }
  if (centres.length === 0) return out;

  // Every distinct filter to its nearest centre, twice (the second time against re-voted centres).
  let of: Int32Array = new Int32Array(D).fill(-1);
  for (let pass = 0; pass < 2; pass++) {
    of = nearest(d.words, d.pops, centres);
    const members: Uint32Array[][] = centres.map(() => []);
    of.forEach((c, f) => {
      if (c >= 0) for (let k = 0; k < d.counts[f]!; k++) members[c]!.push(d.words[f]!);
    });
    centres = members.map((ms, c) => (ms.length >= minCluster ? vote(ms, bits) : centres[c]!));
  }
  const counts = new Uint32Array(centres.length);
  d.ofRecord.forEach((f) => {
    if (f >= 0 && of[f]! >= 0) counts[of[f]!]!++;
  });
  const b64 = centres.map((w) => toBase64(w, bits));
  d.ofRecord.forEach((f, r) => {
    if (f < 0) return;
    const c = of[f]!;
    if (c < 0 || counts[c]! < minCluster) return;
    out.filters[r] = b64[c]!;
    out.assigned++;
  });
  out.clusters = [...counts].filter((c) => c >= minCluster).length;
  return out;
}

/**
 * Nearest centre per filter, or −1 when it is not clearly nearer one centre than the typical
 * centre: a filter of a value without a centre is about as far from all of them.
 */
function nearest(words: readonly Uint32Array[], pops: Uint32Array, centres: readonly Uint32Array[]): Int32Array {
  const cp = centres.map(popcountWords);
  const best = new Float64Array(words.length);
  const bestC = new Int32Array(words.length).fill(-1);
  const typical: number[] = [];
  words.forEach((w, f) => {
    let b = -1;
    let bc = -1;
    let sum = 0;
    centres.forEach((c, k) => {
      const s = (2 * andCount(w, c)) / (pops[f]! + cp[k]!);
      sum += s;
      if (s > b) [b, bc] = [s, k];
    });
    best[f] = b;
    bestC[f] = bc;
    typical.push(sum / centres.length);
  });
  // Accept a filter when its best centre stands out from its mean similarity by more than half the
  // typical gap between the two over all filters.
  const gaps = words.map((_, f) => best[f]! - typical[f]!);
  const cut = 0.5 * median(gaps);
  return Int32Array.from(bestC, (c, f) => (gaps[f]! >= cut ? c : -1));
}

/** Majority vote per bit. */
function vote(members: readonly Uint32Array[], bits: number): Uint32Array {
  const words = Math.ceil(bits / 32);
  const counts = new Uint32Array(bits);
  for (const w of members) for (let p = 0; p < bits; p++) if (w[p >>> 5]! & (0x80000000 >>> (p & 31))) counts[p]!++;
  const out = new Uint32Array(words);
  for (let p = 0; p < bits; p++) if (2 * counts[p]! > members.length) out[p >>> 5]! |= 0x80000000 >>> (p & 31);
  return out;
}

/** Words back to the protocol's base64 (most significant bit of byte 0 first), as filterWords reads it. */
function toBase64(w: Uint32Array, bits: number): string {
  const bytes = Buffer.alloc(bits / 8);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (w[i >>> 2]! >>> (24 - 8 * (i & 3))) & 0xff;
  return bytes.toString('base64');
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}
