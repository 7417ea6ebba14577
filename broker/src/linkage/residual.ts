/**
 * The residual pass: records that pairwise linkage left without a partner in some source, matched
 * again with what "one person, one record per source" adds (scoring/assignment.ts). Pure: no I/O.
 *
 * Pairwise scoring asks of each pair "one person, or two random people?" (and at one address "one
 * person, or two people of one household?"). It cannot see that a record's partner, if it has one,
 * must be *somewhere*: once the other records have found theirs, what is left is a much smaller
 * question. Census linkage meets the same in its residual (associative) matching passes. Two passes:
 *
 *  - at one address (exact postcode and address filters): the records of two sources there, matched
 *    jointly under the bipartite prior with the co-resident model's Bayes factors, and links added
 *    between records whose entities hold nothing of the other source. A council-tax row under a
 *    middle name, with no date of birth, at an address where the GP holds one person of that
 *    surname, links; a father and son of one name, where the row cannot tell which, do not. The
 *    prior's ρ is fitted by EM per pair of sources and address shape, over every address group.
 *  - households that moved together: when one source still holds a household at its old address,
 *    each of its people agrees with the other source on little but a name. One such pair is weak
 *    evidence (namesakes are common); two or more unpartnered people of one address who match, one
 *    to one, unpartnered people of one other address are not namesakes but a household that moved.
 *    Their links are added when every pair's evidence, with the address disagreement the move
 *    explains taken out, favours one person.
 *
 * A single person who moved, with only a name to go on, stays unlinked: tried, a pass that weighed
 * such pairs against "no partner at all" linked a namesake as often as the person.
 */
import type { EntityGraph, ScoredPairs } from './entities/index.js';
import { NONE } from './entities/index.js';
import { ADDRESS_FIELDS, pairSimilarities, type PreparedSources, type SourceBlock } from './prepare.js';
import {
  expectedMatches,
  matchingProfile,
  pairwiseMarginals,
  profileMarginals,
  type MatchingProfile,
} from './scoring/assignment.js';
import { similarityLevels, type ScoringModel } from './scoring/index.js';

/**
 * Pairs weighing less than this are not kept for the residual pass: name agreement alone, against
 * a different address and postcode, weighs about −6 (runs store the rest for the next run).
 */
export const NEAR_FLOOR = -12;

/** The most a record of one source is assumed to have a partner at its address in another. */
export const MAX_COVERAGE = 0.99;

export interface ResidualInput {
  prep: PreparedSources;
  /** The scoring model; its household test (when present) weighs pairs at one address. */
  model: ScoringModel;
  /** Every scored candidate pair with its pairwise weight (posterior log2-odds). */
  pairs: ScoredPairs;
  threshold: number;
  /** The pairwise result. */
  graph: Pick<EntityGraph, 'entityOf'>;
}

export interface ResidualResult {
  /** Links added, weighted by their posterior log2-odds under the pass that found them. */
  pairs: ScoredPairs;
  /** The bipartite priors the pass at one address fitted. */
  addressPriors: AddressPrior[];
  /** Links added at one address, and between the people of a household that moved together. */
  atAddress: number;
  moved: number;
  /**
   * Every unit pair at one address (its best member pair) with its posterior log2-odds under the
   * joint matching there, partnered or not: not used to link, only to estimate (estimates.ts).
   */
  addressPosteriors: ScoredPairs;
}

export function residualLinks(input: ResidualInput): ResidualResult {
  const { prep, threshold } = input;
  const S = prep.offsets.length;
  const entityOf = input.graph.entityOf;
  const holds = entitySources(entityOf, prep.sourceOf, S);
  const covered = (g: number, s: number) => holds.has(entityOf[g]! * S + s);

  const out = { a: [] as number[], b: [] as number[], weight: [] as number[] };
  const emit = (a: number, b: number, p: number): boolean => {
    const w = Math.log2(p) - Math.log2(1 - p);
    if (!(w >= threshold)) return false;
    out.a.push(Math.min(a, b));
    out.b.push(Math.max(a, b));
    out.weight.push(Math.min(w, 64));
    return true;
  };

  const posteriors = { a: [] as number[], b: [] as number[], weight: [] as number[] };
  const address = input.model.household ? addressPass(input, covered, emit, posteriors) : { links: 0, priors: [] };
  const moved = movedTogether(input, covered, out);
  const typed = (o: typeof out): ScoredPairs => ({
    a: Uint32Array.from(o.a),
    b: Uint32Array.from(o.b),
    weight: Float32Array.from(o.weight),
  });
  return {
    pairs: typed(out),
    addressPriors: address.priors,
    atAddress: address.links,
    moved,
    addressPosteriors: typed(posteriors),
  };
}

/** The (entity, source) combinations present, as entity · S + source. */
function entitySources(entityOf: Uint32Array, sourceOf: Uint16Array, S: number): Set<number> {
  const set = new Set<number>();
  for (let g = 0; g < entityOf.length; g++) set.add(entityOf[g]! * S + sourceOf[g]!);
  return set;
}

/**
 * Households that moved together (see the module comment): candidate pairs below the threshold
 * between unpartnered records of two sources at two different addresses, grouped by that pair of
 * addresses and matched one to one, best first; a group of two or more pairs whose every weight,
 * without its address and postcode evidence, reaches the threshold is linked whole.
 */
function movedTogether(
  input: ResidualInput,
  covered: (g: number, s: number) => boolean,
  out: { a: number[]; b: number[]; weight: number[] },
): number {
  const { prep, pairs, model, threshold } = input;
  const byMove = new Map<string, number[]>();
  for (let k = 0; k < pairs.a.length; k++) {
    const a = pairs.a[k]!;
    const b = pairs.b[k]!;
    const w = pairs.weight[k]!;
    const sa = prep.sourceOf[a]!;
    const sb = prep.sourceOf[b]!;
    if (sa === sb || !(w >= NEAR_FLOOR) || w >= threshold) continue;
    const ta = prep.addressToken[a]!;
    const tb = prep.addressToken[b]!;
    if (ta === NONE || tb === NONE || ta === tb || covered(a, sb) || covered(b, sa)) continue;
    // Oriented by source, so that (A at x, B at y) and its mirror are one group.
    const key = sa < sb ? `${sa}:${ta}:${sb}:${tb}` : `${sb}:${tb}:${sa}:${ta}`;
    const list = byMove.get(key);
    if (list) list.push(k);
    else byMove.set(key, [k]);
  }
  const groups = [...byMove.values()].filter((ks) => ks.length >= 2);
  if (groups.length === 0) return 0;

  // The address evidence of each pair, to take out.
  const addressFields = ADDRESS_FIELDS.map((f) => model.fields.findIndex((c) => c.field === f)).filter((f) => f >= 0);
  const addressWeight = fieldWeights(
    prep,
    model,
    model.weights,
    addressFields,
    groups.flat().map((k) => orient(prep, pairs.a[k]!, pairs.b[k]!)),
  );

  let linked = 0;
  for (const ks of groups) {
    // One to one, best first (ties by record order, so the result depends on the pairs alone).
    ks.sort((x, y) => pairs.weight[y]! - pairs.weight[x]! || pairs.a[x]! - pairs.a[y]! || pairs.b[x]! - pairs.b[y]!);
    const used = new Set<number>();
    const chosen: { a: number; b: number; w: number }[] = [];
    for (const k of ks) {
      const a = pairs.a[k]!;
      const b = pairs.b[k]!;
      if (used.has(a) || used.has(b)) continue;
      used.add(a);
      used.add(b);
      const [x, y] = orient(prep, a, b);
      chosen.push({ a, b, w: pairs.weight[k]! - addressWeight.get(x * prep.total + y)! });
    }
    if (chosen.length < 2 || chosen.some((c) => !(c.w >= threshold))) continue;
    // The household's evidence is every pair's; each link carries it (capped as the others are).
    const together = Math.min(
      chosen.reduce((sum, c) => sum + c.w, 0),
      64,
    );
    for (const c of chosen) {
      out.a.push(Math.min(c.a, c.b));
      out.b.push(Math.max(c.a, c.b));
      out.weight.push(together);
      linked++;
    }
  }
  return linked;
}

/**
 * Per record pair (a of the lower-numbered source first), its weights under `weights` summed over
 * `fields`, keyed a · total + b: the pairs' field similarities computed in one batch per pair of sources.
 */
function fieldWeights(
  prep: PreparedSources,
  model: ScoringModel,
  weights: readonly (readonly number[])[],
  fields: number[],
  pairs: [number, number][],
): Map<number, number> {
  const S = prep.offsets.length;
  const lists = new Map<number, number[]>();
  for (const [a, b] of pairs) {
    const key = prep.sourceOf[a]! * S + prep.sourceOf[b]!;
    const list = lists.get(key) ?? [];
    list.push(a - prep.offsets[prep.sourceOf[a]!]!, b - prep.offsets[prep.sourceOf[b]!]!);
    lists.set(key, list);
  }
  const blocks: SourceBlock[] = [...lists].map(([key, list]) => ({
    i: Math.floor(key / S),
    j: key % S,
    pairs: Uint32Array.from(list),
  }));
  const { ga, gb, sims } = pairSimilarities(blocks, prep);
  const F = model.fields.length;
  const levels = similarityLevels(sims, model.fields);
  const out = new Map<number, number>();
  for (let p = 0; p < ga.length; p++) {
    let w = 0;
    for (const f of fields) w += weights[f]![levels[p * F + f]!]!;
    out.set(ga[p]! * prep.total + gb[p]!, w);
  }
  return out;
}

/** A pair with its lower-numbered source first (how pairSimilarities wants a block's pairs). */
function orient(prep: PreparedSources, a: number, b: number): [number, number] {
  return prep.sourceOf[a]! <= prep.sourceOf[b]! ? [a, b] : [b, a];
}

/** Records of one source at one address whose entity is the same: one unit of the assignment. */
interface Unit {
  members: number[];
  /** The unit's entity holds a record of the other source already. */
  partnered: boolean;
}

/** An address and two sources: every unit of each side there, and the Bayes factors between them. */
interface Group {
  s: number;
  t: number;
  A: Unit[];
  B: Unit[];
  /** log2 Bayes factor (one person against two of one household) per unit pair, A-major. */
  bf: Float64Array;
  /** The member pair that gave it. */
  best: [number, number][];
  /** For exact posteriors; null when the group is too large to enumerate. */
  profile: MatchingProfile | null;
}

/** Groups of one address shape and pair of sources share one prior; this many at least, else they pool. */
const MIN_GROUPS_PER_PRIOR = 30;

function addressPass(
  input: ResidualInput,
  covered: (g: number, s: number) => boolean,
  emit: (a: number, b: number, p: number) => boolean,
  posteriors: { a: number[]; b: number[]; weight: number[] },
): { links: number; priors: AddressPrior[] } {
  const { prep, model } = input;
  const household = model.household!;
  const entityOf = input.graph.entityOf;
  const S = prep.offsets.length;
  // Records per address token, in record order.
  const byToken = new Map<number, number[]>();
  for (let g = 0; g < prep.total; g++) {
    const t = prep.addressToken[g]!;
    if (t === NONE) continue;
    const list = byToken.get(t);
    if (list) list.push(g);
    else byToken.set(t, [g]);
  }
  // Groups: one address and two sources, every unit of each side (a partnered unit still claims its partner).
  const groups: Group[] = [];
  for (const records of byToken.values()) {
    const sources = [...new Set(records.map((g) => prep.sourceOf[g]!))].sort((x, y) => x - y);
    for (let x = 0; x < sources.length; x++) {
      for (let y = x + 1; y < sources.length; y++) {
        const s = sources[x]!;
        const t = sources[y]!;
        const units = (own: number, other: number): Unit[] => {
          const byEntity = new Map<number, Unit>();
          for (const g of records) {
            if (prep.sourceOf[g] !== own) continue;
            const u = byEntity.get(entityOf[g]!);
            if (u) u.members.push(g);
            else byEntity.set(entityOf[g]!, { members: [g], partnered: covered(g, other) });
          }
          return [...byEntity.values()];
        };
        const A = units(s, t);
        const B = units(t, s);
        // Every group counts towards the prior, not just those with a unit left over: those are
        // selected for weak evidence and would make a partner look unlikely.
        groups.push({ s, t, A, B, bf: new Float64Array(A.length * B.length), best: [], profile: null });
      }
    }
  }
  if (groups.length === 0) return { links: 0, priors: [] };

  // Every member pair's co-resident reading (log2 m/h; the address fields carry none), in one batch.
  const memberPairs: [number, number][] = [];
  for (const { A, B } of groups)
    for (const ua of A)
      for (const ub of B) for (const a of ua.members) for (const b of ub.members) memberPairs.push([a, b]);
  const reading = fieldWeights(
    prep,
    model,
    household.weights,
    model.fields.map((_, f) => f),
    memberPairs,
  );
  for (const g of groups) {
    g.A.forEach((ua, i) => {
      g.B.forEach((ub, j) => {
        let top = -Infinity;
        let pair: [number, number] = [ua.members[0]!, ub.members[0]!];
        for (const a of ua.members) {
          for (const b of ub.members) {
            const w = reading.get(a * prep.total + b)!;
            if (w > top) [top, pair] = [w, [a, b]];
          }
        }
        g.bf[i * g.B.length + j] = top;
        g.best[i * g.B.length + j] = pair;
      });
    });
    g.profile = matchingProfile(g.bf, g.A.length, g.B.length);
  }

  const priors = fitAddressPriors(groups, S);
  let linked = 0;
  for (const g of groups) {
    const open = g.A.some((u) => !u.partnered) && g.B.some((u) => !u.partnered);
    const rho = priors.rho(g);
    const p = g.profile ? profileMarginals(g.profile, rho) : pairwiseMarginals(g.bf, g.A.length, g.B.length, rho);
    for (let k = 0; k < p.length; k++) {
      const [a, b] = g.best[k]!;
      // Clamped as emit clamps, so a certain pair's log-odds stay finite.
      const q = Math.min(Math.max(p[k]!, 1e-12), 1 - 1e-12);
      posteriors.a.push(a);
      posteriors.b.push(b);
      posteriors.weight.push(Math.log2(q) - Math.log2(1 - q));
      const i = Math.floor(k / g.B.length);
      const j = k % g.B.length;
      if (!open || g.A[i]!.partnered || g.B[j]!.partnered) continue;
      if (emit(a, b, p[k]!)) linked++;
    }
  }
  return { links: linked, priors: priors.list };
}

/** The bipartite prior's ρ for groups of one shape (one record a side, or more) and pair of sources. */
export interface AddressPrior {
  sources: [number, number];
  shape: 'one-to-one' | 'larger';
  groups: number;
  rho: number;
}

/**
 * ρ by EM with the Bayes factors held: the share of the smaller side's units matched, expected over
 * the groups' posteriors. The shape matters: when each source holds one record at an address, the
 * two are one person far more often (a household of one) than a random member of a larger household
 * is anyone's partner. A shape and pair of sources with too few groups takes the pair of sources'
 * estimate over both shapes, or failing that everyone's.
 */
function fitAddressPriors(groups: Group[], S: number): { rho: (g: Group) => number; list: AddressPrior[] } {
  const shapeOf = (g: Group) => (g.A.length === 1 && g.B.length === 1 ? 0 : 1);
  const cell = (g: Group) => (g.s * S + g.t) * 2 + shapeOf(g);
  const members = new Map<number, Group[]>();
  for (const g of groups) {
    const c = cell(g);
    const list = members.get(c);
    if (list) list.push(g);
    else members.set(c, [g]);
  }
  const fit = (gs: Group[]): number => {
    let rho = 0.9;
    for (let iteration = 0; iteration < 50; iteration++) {
      let matched = 0;
      let smaller = 0;
      for (const g of gs) {
        if (g.profile) matched += expectedMatches(g.profile, rho);
        else for (const p of pairwiseMarginals(g.bf, g.A.length, g.B.length, rho)) matched += p;
        smaller += Math.min(g.A.length, g.B.length);
      }
      const next = Math.min(Math.max(matched / smaller, 1 - MAX_COVERAGE), MAX_COVERAGE);
      const done = Math.abs(next - rho) < 1e-4;
      rho = next;
      if (done) break;
    }
    return rho;
  };
  // Too few groups of one shape: the pair of sources' groups of both shapes, then everyone's.
  let everyone: number | undefined;
  const pooled = (pair: number): number => {
    const gs = [...(members.get(pair * 2) ?? []), ...(members.get(pair * 2 + 1) ?? [])];
    if (gs.length >= MIN_GROUPS_PER_PRIOR) return fit(gs);
    everyone ??= groups.length >= MIN_GROUPS_PER_PRIOR ? fit(groups) : 0.5;
    return everyone;
  };
  const rhoOf = new Map<number, number>();
  const list: AddressPrior[] = [];
  for (const [c, gs] of [...members].sort((x, y) => x[0] - y[0])) {
    const rho = gs.length >= MIN_GROUPS_PER_PRIOR ? fit(gs) : pooled(Math.floor(c / 2));
    rhoOf.set(c, rho);
    const pair = Math.floor(c / 2);
    list.push({
      sources: [Math.floor(pair / S), pair % S],
      shape: c % 2 === 0 ? 'one-to-one' : 'larger',
      groups: gs.length,
      rho,
    });
  }
  return { rho: (g) => rhoOf.get(cell(g))!, list };
}
