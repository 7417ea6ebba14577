/**
 * The fitted scoring model: comparisons, Fellegi–Sunter parameters, their weights, a summary of
 * training, and the training pattern table (which the threshold maths reads).
 */
import { anchoredM } from './anchored.js';
import type { FieldComparison, SimilarityMatrix } from './comparison.js';
import { comparisonsFor, levelCount, pairCount, similarityLevels, DEFAULT_CUT_POINTS } from './comparison.js';
import type { EmOptions, FsParameters } from './em.js';
import { DEFAULT_PSEUDO_COUNT, estimateU, initialParameters, priorOverAllPairs, runEm } from './em.js';
import type { PatternTable } from './patterns.js';
import { type LabelledRefit, type LabelledSimilarities, refineWithLabels } from './labelled.js';
import { aggregatePatterns } from './patterns.js';
import { levelWeights, priorWeight } from './weights.js';

export interface TrainingSummary {
  readonly pairs: number;
  readonly distinctPatterns: number;
  readonly iterations: number;
  readonly converged: boolean;
  readonly logLikelihood: readonly number[];
  /** 'random-pairs': u estimated from random pairs and held fixed; 'em': u estimated by EM. */
  readonly uSource: 'random-pairs' | 'em';
  readonly randomPairs: number;
  readonly labelSwapped: boolean;
  /** Fields whose weight does not rise with similarity (a sign of poorly chosen cut points). */
  readonly nonMonotoneFields: readonly string[];
  /** Plain-language cautions about this fit; shown again in the threshold reasoning. */
  readonly warnings: readonly string[];
  /** Per field: where its m came from ('anchored' pairs, or 'em' over all candidates). Absent: all EM. */
  readonly mSource?: readonly ('anchored' | 'em')[];
  /** Per field: pairs that anchored it. */
  readonly anchoredPairs?: readonly number[];
  /** λ is the match probability of a random pair among this many record pairs (absent: among the candidates). */
  readonly priorPairs?: number;
  /** Clerical-review labels that refined m (labelled.ts): how many of each, and what the model expected. */
  readonly labels?: {
    readonly matches: number;
    readonly nonMatches: number;
    readonly expectedMatches: number;
    readonly surprise: number;
  };
}

export interface ScoringModel extends FsParameters {
  readonly kind: 'fellegi-sunter';
  /** Co-resident model: decides one person vs two people of one household for pairs at one address. */
  readonly household?: HouseholdModel;
  readonly fields: readonly FieldComparison[];
  /** Partial weights log2(m/u) per field and level (0 for missing). */
  readonly weights: readonly (readonly number[])[];
  readonly priorWeight: number;
  readonly training: TrainingSummary;
  /** Distinct level patterns of the training pairs, with counts. */
  readonly patterns: PatternTable;
}

/** The co-resident model: per field, log2(m/h) at each level; 0 for the address fields that select it. */
export interface HouseholdModel {
  /** Fields whose top level means "at one address" (e.g. address and postcode). */
  readonly addressFields: readonly string[];
  /** Candidate pairs at one address it was fitted on. */
  readonly pairs: number;
  /** Share of one-person pairs among them. */
  readonly lambda: number;
  readonly priorWeight: number;
  /** h per field and level (1 for missing and for the address fields). */
  readonly h: readonly (readonly number[])[];
  readonly weights: readonly (readonly number[])[];
}

export interface FitOptions extends Omit<EmOptions, 'fixedU'> {
  /** Cut points per field; fields not listed use defaultCutPoints. */
  readonly cutPoints?: Readonly<Record<string, readonly number[]>>;
  readonly defaultCutPoints?: readonly number[];
  /**
   * Similarities of random record pairs (same fields and layout), nearly all non-matches: u is
   * then estimated from them, as Splink does, rather than by EM.
   */
  readonly randomPairs?: SimilarityMatrix;
  /** 'fixed' (default): hold u from random pairs fixed; 'initial': only start EM from it. */
  readonly uFromRandomPairs?: 'fixed' | 'initial';
}

function nonMonotone(fields: readonly FieldComparison[], weights: readonly (readonly number[])[]): string[] {
  const out: string[] = [];
  fields.forEach((c, f) => {
    const w = weights[f] as readonly number[];
    for (let l = 2; l < w.length; l++) {
      if ((w[l] as number) < (w[l - 1] as number) - 1e-9) {
        out.push(c.field);
        return;
      }
    }
  });
  return out;
}

/** Assembles a model from parameters (fitted or given), e.g. to rescore with stored m and u. */
export function modelFromParameters(
  fields: readonly FieldComparison[],
  params: FsParameters,
  patterns: PatternTable,
  training: TrainingSummary,
): ScoringModel {
  if (params.m.length !== fields.length || params.u.length !== fields.length) {
    throw new RangeError('model: m/u do not match the fields');
  }
  if (!(params.lambda > 0 && params.lambda < 1)) throw new RangeError(`model: λ = ${params.lambda} is not in (0, 1)`);
  fields.forEach((c, f) => {
    const m = params.m[f] as readonly number[];
    const u = params.u[f] as readonly number[];
    if (m.length !== levelCount(c) || u.length !== levelCount(c)) {
      throw new RangeError(`model: m/u of field ${c.field} do not match its levels`);
    }
    if (m[0] !== 1 || u[0] !== 1) throw new RangeError(`model: the missing level of ${c.field} must have m = u = 1`);
    if (![...m, ...u].every((x) => x > 0 && x <= 1)) throw new RangeError(`model: m/u of ${c.field} not in (0, 1]`);
  });
  return {
    kind: 'fellegi-sunter',
    fields,
    lambda: params.lambda,
    m: params.m,
    u: params.u,
    weights: levelWeights(params),
    priorWeight: priorWeight(params.lambda),
    training,
    patterns,
  };
}

/**
 * Fits a Fellegi–Sunter model to candidate-pair similarities (pairs × fields, NaN = missing)
 * without labels: levels → distinct patterns with counts → EM.
 */
export function fitModel(
  similarities: SimilarityMatrix,
  fieldNames: readonly string[],
  opts: FitOptions = {},
): ScoringModel {
  const fields = comparisonsFor(fieldNames, opts.cutPoints, opts.defaultCutPoints ?? DEFAULT_CUT_POINTS);
  const n = pairCount(similarities, fields.length);
  if (n === 0) throw new RangeError('fitModel: no candidate pairs');
  const levelCounts = fields.map(levelCount);
  const table = aggregatePatterns(similarityLevels(similarities, fields), levelCounts);
  const pseudo = opts.pseudoCount ?? DEFAULT_PSEUDO_COUNT;

  let uRandom: number[][] | undefined;
  let randomPairs = 0;
  if (opts.randomPairs) {
    randomPairs = pairCount(opts.randomPairs, fields.length);
    if (randomPairs > 0) {
      uRandom = estimateU(aggregatePatterns(similarityLevels(opts.randomPairs, fields), levelCounts), pseudo);
    }
  }
  const holdU = uRandom !== undefined && (opts.uFromRandomPairs ?? 'fixed') === 'fixed';
  // 'initial': EM starts from the random-pair u instead of the heuristic one.
  const initial = opts.initial ?? (uRandom && !holdU ? { ...initialParameters(table, pseudo), u: uRandom } : undefined);
  const em = runEm(table, {
    ...(opts.maxIterations !== undefined ? { maxIterations: opts.maxIterations } : {}),
    ...(opts.tolerance !== undefined ? { tolerance: opts.tolerance } : {}),
    pseudoCount: pseudo,
    ...(holdU ? { fixedU: uRandom } : {}),
    ...(initial ? { initial } : {}),
  });

  const weights = levelWeights(em);
  const bad = nonMonotone(fields, weights);
  const warnings: string[] = [];
  if (!em.converged) {
    warnings.push(`EM did not converge within ${em.iterations} iterations; the parameters are provisional.`);
  }
  if (fields.length < 3 && !holdU) {
    warnings.push(
      `Only ${fields.length} field(s): with fewer than 3 fields EM without labels is not identified; ` +
        'estimate u from random pairs or set m and u by hand.',
    );
  }
  if (bad.length > 0) {
    warnings.push(`Weight does not rise with similarity for: ${bad.join(', ')} (check cut points or field quality).`);
  }
  if (em.lambda < 1e-6 || em.lambda > 1 - 1e-6) {
    warnings.push(`λ = ${em.lambda.toExponential(2)} is at a boundary: the data show no separable match class.`);
  }
  if (em.labelSwapped) warnings.push('EM converged with the classes inverted; they were swapped back.');
  fields.forEach((c, f) => {
    let present = 0;
    for (let j = 0; j < table.counts.length; j++) {
      if ((table.patterns[j * fields.length + f] as number) !== 0) present += table.counts[j] as number;
    }
    if (present === 0) warnings.push(`Field ${c.field} is missing in every pair and carries no evidence.`);
  });

  return modelFromParameters(fields, em, table, {
    pairs: n,
    distinctPatterns: table.counts.length,
    iterations: em.iterations,
    converged: em.converged,
    logLikelihood: em.logLikelihood,
    uSource: holdU ? 'random-pairs' : 'em',
    randomPairs,
    labelSwapped: em.labelSwapped,
    nonMonotoneFields: bad,
    warnings,
  });
}

export interface AnchoredFitOptions extends Pick<EmOptions, 'maxIterations' | 'tolerance' | 'pseudoCount'> {
  readonly cutPoints?: Readonly<Record<string, readonly number[]>>;
  readonly defaultCutPoints?: readonly number[];
  /** Similarities of random record pairs (same fields and layout): u. */
  readonly randomPairs: SimilarityMatrix;
  /** Fields that tell people of one household apart: the anchors. */
  readonly personal: ReadonlySet<string>;
  /** Record pairs blocking chose from (candidates included): λ is a random pair's match probability among them. */
  readonly totalPairs: number;
  /** Groups of fields that change together (address and postcode), left out of each other's anchors. */
  readonly correlated?: readonly (readonly string[])[];
  /** Clerical-review labels: m is refined by them (labelled.ts), then λ fitted again. */
  readonly labelled?: LabelledSimilarities;
}

/**
 * Fits the Fellegi–Sunter model the engine uses: u from random pairs, m per field from anchored
 * pairs (see anchored.ts; EM with u held for a field too rare to anchor), and λ as the match
 * probability of a random pair. Every weight then describes one person against two random people,
 * and a candidate's posterior does not depend on why blocking proposed it.
 */
export function fitAnchoredModel(
  similarities: SimilarityMatrix,
  fieldNames: readonly string[],
  opts: AnchoredFitOptions,
): ScoringModel {
  const fields = comparisonsFor(fieldNames, opts.cutPoints, opts.defaultCutPoints ?? DEFAULT_CUT_POINTS);
  const n = pairCount(similarities, fields.length);
  if (n === 0) throw new RangeError('fitAnchoredModel: no candidate pairs');
  const pseudo = opts.pseudoCount ?? DEFAULT_PSEUDO_COUNT;
  const levelCounts = fields.map(levelCount);
  const table = aggregatePatterns(similarityLevels(similarities, fields), levelCounts);
  const randomPairs = pairCount(opts.randomPairs, fields.length);
  if (randomPairs === 0) throw new RangeError('fitAnchoredModel: no random pairs to estimate u from');
  const u = estimateU(aggregatePatterns(similarityLevels(opts.randomPairs, fields), levelCounts), pseudo);
  const anchored = anchoredM(similarities, fields, opts.personal, opts.correlated ?? [], pseudo);

  // Fields no pair anchors (e.g. an identifier only one source holds, compared within it): EM, u held.
  const needEm = anchored.some((a) => a.m === null);
  const em = needEm
    ? runEm(table, {
        ...(opts.maxIterations !== undefined ? { maxIterations: opts.maxIterations } : {}),
        ...(opts.tolerance !== undefined ? { tolerance: opts.tolerance } : {}),
        pseudoCount: pseudo,
        fixedU: u,
      })
    : null;
  const fitted = anchored.map((a, f) => a.m ?? (em!.m[f] as readonly number[]));
  const first = priorOverAllPairs(table, { m: fitted, u }, opts.totalPairs, opts);
  const labelled = opts.labelled?.match.length
    ? refineWithLabels(table, fields, { lambda: first.lambda, m: fitted, u }, opts.labelled, pseudo)
    : undefined;
  const m: readonly (readonly number[])[] = labelled?.m ?? fitted;
  const prior = labelled ? priorOverAllPairs(table, { m, u }, opts.totalPairs, opts) : first;

  const weights = levelWeights({ lambda: prior.lambda, m, u });
  const bad = nonMonotone(fields, weights);
  const warnings: string[] = [];
  const emFields = anchored.filter((a) => a.m === null).map((a) => a.field);
  if (em && !em.converged)
    warnings.push(`EM (for ${emFields.join(', ')}) did not converge within ${em.iterations} iterations.`);
  if (!prior.converged) warnings.push(`The prior did not converge within ${prior.iterations} iterations.`);
  if (bad.length > 0)
    warnings.push(`Weight does not rise with similarity for: ${bad.join(', ')} (check cut points or field quality).`);
  fields.forEach((c, f) => {
    let present = 0;
    for (let j = 0; j < table.counts.length; j++) {
      if ((table.patterns[j * fields.length + f] as number) !== 0) present += table.counts[j] as number;
    }
    if (present === 0) warnings.push(`Field ${c.field} is missing in every pair and carries no evidence.`);
  });

  return modelFromParameters(fields, { lambda: prior.lambda, m, u }, table, {
    pairs: n,
    distinctPatterns: table.counts.length,
    iterations: em?.iterations ?? 0,
    converged: (em?.converged ?? true) && prior.converged,
    logLikelihood: em?.logLikelihood ?? [],
    uSource: 'random-pairs',
    randomPairs,
    labelSwapped: false,
    nonMonotoneFields: bad,
    warnings,
    mSource: anchored.map((a) => (a.m ? 'anchored' : 'em')),
    anchoredPairs: anchored.map((a) => a.pairs),
    priorPairs: opts.totalPairs,
    ...(labelled ? { labels: labelSummary(labelled) } : {}),
  });
}

function labelSummary({ matches, nonMatches, expectedMatches, surprise }: LabelledRefit) {
  return { matches, nonMatches, expectedMatches, surprise };
}
