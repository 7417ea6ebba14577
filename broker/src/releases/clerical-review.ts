/**
 * The clerical-review release form (docs/clerical-review.md), pure: from a run's scored pairs choose
 * the recipient's most uncertain ones, and describe each by per-field comparison levels and weights.
 * Never an identifier, a field's similarity, or another agency's row token: the other side of a pair
 * is an opaque reference keyed per recipient, meaningless outside the export.
 */
import { createHmac } from 'node:crypto';
import type { ClericalReviewRule } from '@blindlink/policies';
import type { ReviewPair } from '@blindlink/protocol';
import type { ScoredPairs } from '../linkage/entities/index.js';
import { dice } from '../linkage/kernel/index.js';
import { popcountBytes } from '../linkage/kernel/popcount.js';
import {
  comparisonsFor,
  DEFAULT_CUT_POINTS,
  type FieldComparison,
  levelOf,
  matchProbability,
  type ScoringModel,
} from '../linkage/scoring/index.js';
import { storedCutPoints } from '../linkage/scoring/comparison.js';
import { debiasedDice } from '../linkage/scoring/field-dice.js';

/** One record of the run as the form needs it: whose, its token, its stable key and entity. */
export interface ReviewRecord {
  agency: string;
  token: string;
  recordKey: string;
  entityId: string;
}

export const DEFAULT_BAND = { from: 0.05, to: 0.95 };

export interface ReviewCandidate {
  /** Global record numbers of the run, smaller first. */
  a: number;
  b: number;
  score: number;
  probability: number | null;
}

/**
 * The pairs touching the requester's records, within the band (Fellegi–Sunter: match probability;
 * Dice runs keep only pairs at or above the threshold, so every kept pair is in it), nearest the
 * threshold first (where a verdict can change the outcome), at most rule.pairs. `skip`: pairs
 * (by "keyA keyB") the requester has labelled already.
 */
export function uncertainPairs(
  pairs: ScoredPairs,
  records: readonly ReviewRecord[],
  requester: string,
  scoring: { mode: 'fellegi-sunter' | 'dice'; threshold: number },
  rule: Pick<ClericalReviewRule, 'pairs' | 'band'>,
  skip: ReadonlySet<string>,
): ReviewCandidate[] {
  const band = rule.band ?? DEFAULT_BAND;
  const fs = scoring.mode === 'fellegi-sunter';
  const seen = new Set<string>();
  const out: ReviewCandidate[] = [];
  for (let k = 0; k < pairs.a.length; k++) {
    const a = Math.min(pairs.a[k]!, pairs.b[k]!);
    const b = Math.max(pairs.a[k]!, pairs.b[k]!);
    const score = pairs.weight[k]!;
    const ra = records[a];
    const rb = records[b];
    if (!ra || !rb || a === b || !Number.isFinite(score)) continue;
    if (ra.agency !== requester && rb.agency !== requester) continue;
    const probability = fs ? matchProbability(score) : null;
    if (probability !== null && (probability < band.from || probability > band.to)) continue;
    const key = pairKey(ra.recordKey, rb.recordKey);
    if (skip.has(key) || seen.has(key)) continue;
    seen.add(key);
    out.push({ a, b, score, probability });
  }
  out.sort(
    (x, y) => Math.abs(x.score - scoring.threshold) - Math.abs(y.score - scoring.threshold) || x.a - y.a || x.b - y.b,
  );
  return out.slice(0, rule.pairs);
}

/** The two stable keys of a pair in their stored order (key_a < key_b). */
export function orderedKeys(x: string, y: string): [string, string] {
  return x < y ? [x, y] : [y, x];
}

export function pairKey(x: string, y: string): string {
  return orderedKeys(x, y).join(' ');
}

const keyed = (key: Uint8Array, label: string, parts: string[]) =>
  createHmac('sha256', key)
    .update(`${label}\n${parts.join('\n')}`)
    .digest('base64url')
    .slice(0, 22);

/** A pair's review id for one recipient: the same pair sent again gets the same id. */
export function reviewId(key: Uint8Array, purpose: string, requester: string, keyA: string, keyB: string): string {
  return `rv-${keyed(key, 'clerical-review/pair', [purpose, requester, ...orderedKeys(keyA, keyB)])}`;
}

/** Another agency's record as one recipient sees it: stable for that recipient, unlinkable across recipients. */
export function otherRef(key: Uint8Array, purpose: string, requester: string, recordKey: string): string {
  return `ref-${keyed(key, 'clerical-review/other', [purpose, requester, recordKey])}`;
}

/** A record's field filters as the form compares them: field name → filter bytes and its flip rate. */
export type RecordFields = Map<string, { bits: Uint8Array; flip: number }>;

/**
 * The fields the form compares (the model's, or for a Dice run those both records hold) and each
 * one's similarity as the model's comparison reads it (de-biased where the encoding flips bits; NaN:
 * missing on a side).
 */
export function fieldSimilarities(
  model: ScoringModel | undefined,
  x: RecordFields,
  y: RecordFields,
): { comparisons: FieldComparison[]; sims: number[] } {
  const names = model ? model.fields.map((c) => c.field) : [...x.keys()].filter((f) => y.has(f)).sort();
  if (names.length === 0) return { comparisons: [], sims: [] };
  const comparisons = model ? [...model.fields] : comparisonsFor(names, {}, DEFAULT_CUT_POINTS);
  const sims = comparisons.map((c) => {
    const fx = x.get(c.field);
    const fy = y.get(c.field);
    if (!fx || !fy || fx.bits.length !== fy.bits.length) return Number.NaN;
    const observed = dice(fx.bits, fy.bits);
    const p = fx.flip;
    return p > 0
      ? debiasedDice(observed, popcountBytes(fx.bits), popcountBytes(fy.bits), fx.bits.length * 8, p)
      : observed;
  });
  return { comparisons, sims };
}

/** Per-field evidence: the comparison level each field falls in and its partial weight (null: Dice run). */
export function fieldEvidence(model: ScoringModel | undefined, x: RecordFields, y: RecordFields): ReviewPair['fields'] {
  const { comparisons, sims } = fieldSimilarities(model, x, y);
  return comparisons.map((c, f) => {
    const level = levelOf(Math.fround(sims[f]!), storedCutPoints(c));
    return { field: c.field, level: c.labels[level]!, weight: model ? round(model.weights[f]![level]!) : null };
  });
}

/** A Fellegi–Sunter pair's similarities by field, as the fit reads a labelled pair (null: missing); else null. */
export function similaritiesByField(
  model: ScoringModel | undefined,
  x: RecordFields,
  y: RecordFields,
): Record<string, number | null> | null {
  if (!model) return null;
  const { comparisons, sims } = fieldSimilarities(model, x, y);
  return Object.fromEntries(comparisons.map((c, f) => [c.field, Number.isNaN(sims[f]!) ? null : sims[f]!]));
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** One pair of the release, for the requester. */
export function reviewPair(
  c: ReviewCandidate,
  records: readonly ReviewRecord[],
  requester: string,
  ids: { reviewId: string; other: (recordKey: string) => string },
  threshold: number,
  fields: ReviewPair['fields'],
): ReviewPair {
  const ra = records[c.a]!;
  const rb = records[c.b]!;
  const mine = [ra, rb].filter((r) => r.agency === requester);
  const theirs = [ra, rb].find((r) => r.agency !== requester);
  return {
    reviewId: ids.reviewId,
    yours: mine.map((r) => r.token),
    other: theirs ? ids.other(theirs.recordKey) : null,
    probability: c.probability === null ? null : round(c.probability),
    score: round(c.score),
    threshold: round(threshold),
    linked: ra.entityId === rb.entityId,
    fields,
  };
}
