/**
 * The privacy report: every attack on every name field of a set of encoded files, with what the
 * broker sees without any attack (groups of identical filters, filters equal across files). With
 * truth (tests, benches, a trial on synthetic data) re-identification rates are *measured*, with
 * 95% Wilson intervals; without it (an IG lead's real submission) the report says only what can be
 * said: an *estimate* for frequency alignment and the attackers' own confidence for the others.
 * Deterministic: the same files and background give the same report and digest.
 */
import { createHash } from 'node:crypto';
import { canonicalJson, type EncodedHeader, type EncodedRecord } from '@blindlink/protocol';
import { fullNameBackground } from './background.js';
import { derivedFrom } from './derived.js';
import {
  crossSourceEquality,
  estimateAlignment,
  frequencyAlignment,
  groupSizes,
  type AlignmentEstimate,
  type CrossSource,
  type GroupSizes,
} from './frequency.js';
import { graphMatching } from './graph.js';
import { patternMining, type MiningOptions } from './mining.js';
import { unbalance } from './unbalance.js';
import { clusterDenoise } from './denoise.js';
import { dateDictionary, dobAttack, type DateDictionary } from './dob.js';
import { groupMembers, partitionBySalt, saltSource, type SaltPartition } from './salt-split.js';
import { partitionByYear } from './salt-year.js';
import { Rng, wilson, type Rate } from './stats.js';
import type { AttackResult, Background, BackgroundValue, Guesses } from './types.js';

export const REPORT_FORMAT = 'blindlink/privacy-report';
/**
 * The attacks `--attacks` selects. `denoise` (cluster-then-denoise) reports two rows, alignment and
 * mining on the denoised filters; `clk-mining` mines the record-level CLK for names; `salt-split`
 * (salted names only) splits the records by the salt's inferred value and runs frequency alignment,
 * mining and cluster-then-denoise within each group (four rows, `split-…`).
 */
export const ATTACKS = ['frequency', 'mining', 'graph', 'denoise', 'clk-mining', 'salt-split'] as const;
export type AttackName = (typeof ATTACKS)[number];
/** A row of a field's report: an attack, or one half of cluster-then-denoise, or the dated-records variant. */
export type OutcomeName =
  | 'frequency'
  | 'mining'
  | 'graph'
  | 'denoise-frequency'
  | 'denoise-mining'
  | 'clk-mining'
  | 'mining-known-dates'
  | 'split-frequency'
  | 'split-mining'
  | 'split-denoise-frequency'
  | 'split-denoise-mining';
/** The salt-split rows, each the whole-file attack of the same name run within every salt group. */
export const SPLIT_ROWS = [
  'split-frequency',
  'split-mining',
  'split-denoise-frequency',
  'split-denoise-mining',
] as const;
/** Salt groups smaller than this are not attacked (nothing repeats in them). */
export const SPLIT_MIN_GROUP = 50;
/** Dates of birth the attacker is given for the `mining-known-dates` row (with truth only). */
export const KNOWN_DATES = 50;

export interface PrivacySource {
  name: string;
  header: EncodedHeader;
  records: readonly EncodedRecord[];
}

/** Row token → true normalised values (given_name, surname, dob), for measured rates. */
export type Truth = Map<string, Partial<Record<'given_name' | 'surname' | 'dob', string>>>;

export interface ReportOptions {
  background: Background;
  truth?: Truth;
  attacks?: readonly AttackName[];
  /** Seeds the samples (any fixed string): the same seed, the same report. */
  seed?: string;
  miningSample?: number;
  graphNodes?: number;
  /** Filters sampled to find clusters in cluster-then-denoise (denoise.ts); default 2,000. */
  denoiseSample?: number;
  /** About the inputs (a sample of a larger submission, say): first among the notes. */
  notes?: readonly string[];
}

export interface AttackOutcome {
  /** Against truth: top-1 and top-10 re-identification, 95% Wilson intervals. */
  measured?: { top1: Rate; top10: Rate };
  /**
   * Against truth: top-1 minus the frequency-guessing floor on the same records (a paired difference,
   * with a 95% normal interval): what the attack learns from the filters beyond guessing the commonest value.
   */
  excess?: Excess;
  /** Dates of birth, against truth: the year of the top guess right. */
  yearTop1?: Rate;
  /** Frequency alignment without truth: an estimate, not a measurement. */
  estimated?: AlignmentEstimate;
  /**
   * Share of records the attacker itself would call decoded (a unique candidate with a margin): its own view,
   * unverified.
   */
  attackerConfident?: Rate;
  detail?: Record<string, number>;
}

export interface Excess {
  rate: number;
  lo: number;
  hi: number;
}

/**
 * Guessing the background's most frequent value for every record, filters unseen: what any "attack"
 * gets for free. `expected`: that value's share of the background; `measured`: against truth.
 */
export interface Floor {
  value: string;
  expected: number;
  measured?: Rate;
}

export interface FieldReport {
  field: string;
  groups: GroupSizes;
  crossSource: CrossSource | null;
  floor: Floor | null;
  attacks: Partial<Record<OutcomeName, AttackOutcome>>;
}

export interface PrivacyReport {
  format: typeof REPORT_FORMAT;
  formatVersion: 2;
  inputs: { source: string; records: number; schema: string; hardening: string[] }[];
  background: { source: string; digest: string };
  truth: { rows: number } | null;
  fields: FieldReport[];
  /** Groups of identical record-level CLKs and the blocking tokens' largest group: seen without any attack. */
  clk: GroupSizes;
  notes: string[];
  /** SHA-256 of the canonical JSON of everything above. */
  digest: string;
}

export class PrivacyInputError extends Error {}

const NAME_FIELDS = ['given_name', 'surname'] as const;

export function privacyReport(sources: readonly PrivacySource[], opts: ReportOptions): PrivacyReport {
  checkOneEncoding(sources);
  const ctx = reportInputs(sources, opts);
  const notes: string[] = [...(opts.notes ?? [])];
  const fields: FieldReport[] = [];
  const perField = new Map<string, Partial<Record<OutcomeName, AttackResult>>>();
  for (const field of NAME_FIELDS) {
    const named = nameFieldReport(ctx, field, notes);
    if (!named) continue;
    perField.set(field, named.results);
    fields.push(named.report);
  }
  if (perField.has('given_name') && perField.has('surname')) fields.push(fullNameReport(ctx, perField));
  if (ctx.attacks.includes('salt-split')) notes.push(splitNote(ctx));
  const dob = dobReport(ctx, notes);
  if (dob) fields.push(dob);
  if (fields.length === 0) notes.push('no given_name, surname or dob filters in these files: nothing to attack');

  const body: Omit<PrivacyReport, 'digest'> = {
    format: REPORT_FORMAT,
    formatVersion: 2,
    inputs: sources.map((s) => ({
      source: s.name,
      records: s.records.length,
      schema: `${s.header.schema.id}@${s.header.schema.version}`,
      hardening: s.header.hardening,
    })),
    background: { source: opts.background.source, digest: opts.background.digest },
    truth: opts.truth ? { rows: ctx.truthRows } : null,
    fields,
    clk: groupSizes(ctx.records.map((r) => r.clk)),
    notes,
  };
  return { ...body, digest: reportDigest(body) };
}

/** One report covers one encoding: the same schema and hardening in every file. */
function checkOneEncoding(sources: readonly PrivacySource[]): void {
  if (sources.length === 0) throw new PrivacyInputError('no encoded files given');
  const fp = sources[0]!.header.schema.fingerprint;
  const hardening = sources[0]!.header.hardening.join(',');
  for (const s of sources) {
    if (s.header.schema.fingerprint !== fp || s.header.hardening.join(',') !== hardening) {
      throw new PrivacyInputError(
        `${s.name} uses another encoding (schema fingerprint or hardening) than ${sources[0]!.name}: ` +
          `report them separately`,
      );
    }
  }
}

/** The files' records as the attacks see them, with the truth (when given) alongside. */
interface ReportInputs {
  opts: ReportOptions;
  seed: string;
  attacks: readonly AttackName[];
  records: EncodedRecord[];
  /** Source index per record. */
  source: Uint16Array;
  tokens: string[];
  /** Filter size per field, from the first file's header. */
  bitsOf: Map<string, number>;
  clkBits: number;
  /** The header's hardening steps (e.g. "flip:0.2:given_name+surname+dob"). */
  hardening: readonly string[];
  /** Rows of the truth file that name a record here. */
  truthRows: number;
  /** The records split by their salt's inferred value (salt-split), null when not salted or not splittable. */
  saltGroups: SaltPartition | null;
}

function reportInputs(sources: readonly PrivacySource[], opts: ReportOptions): ReportInputs {
  const records = sources.flatMap((s) => s.records);
  const tokens = records.map((r) => r.token);
  const bitsOf = new Map<string, number>();
  for (const f of sources[0]!.header.fieldFilters ?? []) bitsOf.set(f.field, f.bits);
  let truthRows = 0;
  if (opts.truth) {
    for (const t of tokens) if (opts.truth.has(t)) truthRows++;
    if (truthRows === 0) throw new PrivacyInputError('the truth file names none of the row tokens in these files');
  }
  const attacks = opts.attacks ?? ATTACKS;
  const salt = saltSource(sources[0]!.header.hardening);
  const postcodeBits = bitsOf.get('postcode');
  const dobBits = bitsOf.get('dob');
  const saltGroups =
    !attacks.includes('salt-split') || salt === null
      ? null
      : salt === 'dob.year'
        ? dobBits === undefined
          ? null
          : partitionByYear(
              records.map((r) => r.fields?.dob ?? null),
              dobBits,
              records.map((r) => r.blocks),
              `${opts.seed ?? 'blindlink-privacy-report'}:salt-year`,
            )
        : partitionBySalt(
            salt,
            postcodeBits === undefined ? null : records.map((r) => r.fields?.postcode ?? null),
            postcodeBits ?? 0,
          );
  return {
    opts,
    seed: opts.seed ?? 'blindlink-privacy-report',
    attacks,
    records,
    source: Uint16Array.from(sources.flatMap((s, i) => s.records.map(() => i))),
    tokens,
    bitsOf,
    clkBits: sources[0]!.header.clkBits,
    hardening: sources[0]!.header.hardening,
    truthRows,
    saltGroups,
  };
}

/** One field's filter per record (null: the record has none); `clk` is the record-level CLK. */
function columnOf(ctx: ReportInputs, field: string): (string | null)[] {
  if (field === 'clk') return ctx.records.map((r) => r.clk);
  return ctx.records.map((r) => r.fields?.[field] ?? null);
}

/** The true value of a field (or the full name) per record, null where the truth does not say. */
function truthOf(ctx: ReportInputs, field: string): (string | null)[] {
  return ctx.tokens.map((t) => {
    const v = ctx.opts.truth?.get(t);
    if (!v) return null;
    if (field === 'full_name')
      return v.given_name !== undefined && v.surname !== undefined ? `${v.given_name} ${v.surname}` : null;
    return v[field as 'given_name'] ?? null;
  });
}

/**
 * An attack's outcome: measured against truth when there is one (with its excess over the floor),
 * and the attacker's own confidence.
 */
function outcome(
  res: AttackResult,
  keys: readonly (string | null)[],
  truth: (string | null)[] | null,
  extra: Omit<AttackOutcome, 'measured'> = {},
  floorValue: string | null = null,
): AttackOutcome {
  const o: AttackOutcome = { ...extra };
  if (truth) {
    o.measured = measure(res.guesses, keys, truth);
    if (floorValue !== null) o.excess = excessOverFloor(res.guesses, keys, truth, floorValue);
  }
  let n = 0;
  let c = 0;
  keys.forEach((k, i) => {
    if (k === null) return;
    n++;
    c += res.confident[i]!;
  });
  if (extra.estimated === undefined) o.attackerConfident = wilson(c, n);
  return o;
}

/** The floor of a field: its commonest background value, and how often it is right against truth. */
function floorOf(
  bg: readonly BackgroundValue[],
  keys: readonly (string | null)[],
  truth: (string | null)[] | null,
): Floor {
  const total = bg.reduce((a, v) => a + v.count, 0);
  const top = bg[0]!;
  const f: Floor = { value: top.value, expected: total ? top.count / total : 0 };
  if (truth)
    f.measured = measure(
      keys.map(() => [top.value]),
      keys,
      truth,
    ).top1;
  return f;
}

const flipOf = (ctx: ReportInputs, field: string): number => {
  for (const h of ctx.hardening) {
    const m = /^flip:([0-9.]+):(.+)$/.exec(h);
    if (m && m[2]!.split('+').includes(field)) return Number(m[1]);
  }
  return 0;
};

/** A name field: what is seen without attack, and each attack; null when the files do not encode it. */
function nameFieldReport(
  ctx: ReportInputs,
  field: string,
  notes: string[],
): { report: FieldReport; results: Partial<Record<OutcomeName, AttackResult>> } | null {
  const { opts, attacks, seed } = ctx;
  const bits = ctx.bitsOf.get(field);
  const bg = opts.background.fields.get(field);
  if (bits === undefined) return null;
  const keys = columnOf(ctx, field);
  const truth = opts.truth ? truthOf(ctx, field) : null;
  const report: FieldReport = {
    field,
    groups: groupSizes(keys),
    crossSource: crossSourceEquality(keys, ctx.source),
    floor: bg?.length ? floorOf(bg, keys, truth) : null,
    attacks: {},
  };
  const results: Partial<Record<OutcomeName, AttackResult>> = {};
  if (!bg || bg.length === 0) {
    notes.push(`the background has no ${field} frequencies: ${field} was not attacked`);
    return { report, results };
  }
  const fv = bg[0]!.value;
  if (attacks.includes('frequency')) {
    results.frequency = frequencyAlignment(keys, bg);
    report.attacks.frequency = outcome(
      results.frequency,
      keys,
      truth,
      { estimated: estimateAlignment(keys, bg, `${seed}:${field}`) },
      fv,
    );
  }
  // Balanced filters are undone first (complementary position pairs); the header says so too.
  const view =
    attacks.includes('mining') || attacks.includes('graph') || attacks.includes('salt-split')
      ? (unbalance(keys, bits) ?? { filters: keys, bits })
      : { filters: keys, bits };
  if (view.bits !== bits)
    notes.push(`${field}: balanced filters undone (complementary position pairs), attacked at ${view.bits} bits`);
  const mine = (filters: (string | null)[], m: number, tag: string, more: Partial<MiningOptions> = {}) =>
    patternMining({ filters, bits: m }, bg, {
      seed: `${seed}:${tag}`,
      ...(opts.miningSample ? { sample: opts.miningSample } : {}),
      ...more,
    });
  if (attacks.includes('mining')) {
    const m = mine(view.filters, view.bits, field);
    results.mining = m;
    report.attacks.mining = outcome(
      m,
      keys,
      truth,
      { detail: { itemsets: m.itemsets, bitsPerToken: m.bitsPerToken } },
      fv,
    );
  }
  if (attacks.includes('graph')) {
    results.graph = graphMatching(view, bg, opts.graphNodes ? { nodes: opts.graphNodes } : {});
    report.attacks.graph = outcome(results.graph, keys, truth, {}, fv);
  }
  if (attacks.includes('denoise')) {
    const dn = clusterDenoise(view.filters, view.bits, {
      seed: `${seed}:${field}`,
      ...(opts.denoiseSample ? { sample: opts.denoiseSample } : {}),
    });
    const detail = { clusters: dn.clusters, clustered: dn.present ? dn.assigned / dn.present : 0 };
    results['denoise-frequency'] = frequencyAlignment(dn.filters, bg);
    report.attacks['denoise-frequency'] = outcome(results['denoise-frequency'], keys, truth, { detail }, fv);
    const m = mine(dn.filters, view.bits, `${field}:denoised`);
    results['denoise-mining'] = m;
    report.attacks['denoise-mining'] = outcome(m, keys, truth, { detail: { ...detail, itemsets: m.itemsets } }, fv);
  }
  if (ctx.saltGroups) {
    const split = splitAttack(ctx.saltGroups, view, bg, (f, m, tag) => mine(f, m, tag), `${seed}:${field}`);
    for (const row of SPLIT_ROWS) {
      results[row] = split.results[row];
      report.attacks[row] = outcome(split.results[row], keys, truth, { detail: split.detail }, fv);
    }
  }
  if (attacks.includes('clk-mining')) {
    // The record-level CLK holds every field's tokens, unflipped in uk-person version 3. Bits set in
    // most CLKs (a date's leading digits, the commoner sex) would glue every itemset together.
    const m = mine(columnOf(ctx, 'clk'), ctx.clkBits, `${field}:clk`, { maxShare: 0.6, maxItemsets: 300 });
    results['clk-mining'] = m;
    report.attacks['clk-mining'] = outcome(m, keys, truth, { detail: { itemsets: m.itemsets } }, fv);
  }
  return { report, results };
}

/**
 * The whole-file attacks within each salt group (salt-split.ts): frequency alignment and mining on the
 * group's filters, and both again after cluster-then-denoise within the group, each against the national
 * background. Groups under SPLIT_MIN_GROUP records get no guess.
 */
function splitAttack(
  p: SaltPartition,
  view: { filters: readonly (string | null)[]; bits: number },
  bg: readonly BackgroundValue[],
  mine: (filters: (string | null)[], bits: number, tag: string) => AttackResult,
  seed: string,
): { results: Record<(typeof SPLIT_ROWS)[number], AttackResult>; detail: Record<string, number> } {
  const n = view.filters.length;
  const fresh = (): AttackResult => ({ guesses: new Array(n).fill(null), confident: new Uint8Array(n) });
  const results = Object.fromEntries(SPLIT_ROWS.map((r) => [r, fresh()])) as Record<
    (typeof SPLIT_ROWS)[number],
    AttackResult
  >;
  const members = groupMembers(p);
  let attacked = 0;
  let clustered = 0;
  members.forEach((rs, g) => {
    const filters = rs.map((r) => view.filters[r]!);
    if (filters.filter((f) => f !== null).length < SPLIT_MIN_GROUP) return;
    attacked++;
    const dn = clusterDenoise(filters, view.bits, { seed: `${seed}:split:${g}` });
    clustered += dn.assigned;
    const within: Record<(typeof SPLIT_ROWS)[number], AttackResult> = {
      'split-frequency': frequencyAlignment(filters, bg),
      'split-mining': mine(filters, view.bits, `split:${g}`),
      'split-denoise-frequency': frequencyAlignment(dn.filters, bg),
      'split-denoise-mining': mine(dn.filters, view.bits, `split:${g}:denoised`),
    };
    for (const row of SPLIT_ROWS)
      rs.forEach((r, i) => {
        (results[row].guesses as (readonly string[] | null)[])[r] = within[row].guesses[i]!;
        results[row].confident[r] = within[row].confident[i]!;
      });
  });
  const present = view.filters.filter((f) => f !== null).length;
  return {
    results,
    detail: {
      groups: p.groups,
      attackedGroups: attacked,
      largestGroup: Math.max(0, ...members.map((m) => m.length)),
      clustered: present ? clustered / present : 0,
    },
  };
}

/** What the salt-split attack did, or why it did nothing, for the report's notes. */
function splitNote(ctx: ReportInputs): string {
  const salt = saltSource(ctx.hardening);
  if (salt === null) return 'salt-split: the names are not salted, so the attacks above already see one group';
  if (!ctx.saltGroups)
    return salt === 'dob.year'
      ? `salt-split: no year groups found for the salt source ${salt} (no dob filter, or too few records ` +
          'linked): not attacked'
      : `salt-split: no partitioner for the salt source ${salt} (or no postcode filter): not attacked`;
  if (salt === 'dob.year')
    return (
      `salt-split: the records were split into ${ctx.saltGroups.groups} groups of one inferred year of birth ` +
      '(records linked by shared blocking tokens whose dob filters agree, then every record to the likeliest ' +
      `group by its dob filter), and each group of ${SPLIT_MIN_GROUP} or more attacked on its own`
    );
  return (
    `salt-split: the records were split into ${ctx.saltGroups.groups} groups by their postcode filters ` +
    `(the inferred values of salt ${salt}), and each group of ${SPLIT_MIN_GROUP} or more attacked on its own`
  );
}

/**
 * Full name: both filters together. Frequency alignment groups the pairs; the other attacks
 * combine their per-field guesses (right only when both are).
 */
function fullNameReport(
  ctx: ReportInputs,
  perField: Map<string, Partial<Record<OutcomeName, AttackResult>>>,
): FieldReport {
  const { opts, attacks, seed } = ctx;
  const g = columnOf(ctx, 'given_name');
  const s = columnOf(ctx, 'surname');
  const keys = g.map((x, i) => (x !== null && s[i] !== null ? `${x}|${s[i]}` : null));
  const truth = opts.truth ? truthOf(ctx, 'full_name') : null;
  const bgG = opts.background.fields.get('given_name');
  const bgS = opts.background.fields.get('surname');
  const bg = bgG && bgS ? fullNameBackground(bgG, bgS) : null;
  const report: FieldReport = {
    field: 'full_name',
    groups: groupSizes(keys),
    crossSource: crossSourceEquality(keys, ctx.source),
    floor: bg?.length ? floorOf(bg, keys, truth) : null,
    attacks: {},
  };
  if (bg?.length) {
    const fv = bg[0]!.value;
    if (attacks.includes('frequency'))
      report.attacks.frequency = outcome(
        frequencyAlignment(keys, bg),
        keys,
        truth,
        { estimated: estimateAlignment(keys, bg, `${seed}:full_name`) },
        fv,
      );
    for (const a of ['mining', 'graph', 'denoise-frequency', 'denoise-mining', 'clk-mining', ...SPLIT_ROWS] as const) {
      const rg = perField.get('given_name')![a];
      const rs = perField.get('surname')![a];
      if (rg && rs) report.attacks[a] = outcome(combine(rg, rs), keys, truth, {}, fv);
    }
  }
  return report;
}

/**
 * Dates of birth: exact-repeat alignment against the background's years spread over their days,
 * and the dictionary attack (dob.ts), on the filters as they are and after cluster-then-denoise.
 * With truth, also the dictionary attack given the dates of a few records (known plaintext), which
 * settles the labels no statistic can (docs/privacy-report.md).
 */
function dobReport(ctx: ReportInputs, notes: string[]): FieldReport | null {
  const bits = ctx.bitsOf.get('dob');
  if (bits === undefined) return null;
  const { opts, attacks, seed } = ctx;
  const keys = columnOf(ctx, 'dob');
  const truth = opts.truth ? truthOf(ctx, 'dob') : null;
  const years = opts.background.fields.get('dob_year') ?? [];
  const dict = years.length ? dateDictionary(years) : null;
  const bg = dict ? dateBackground(dict) : [];
  const report: FieldReport = {
    field: 'dob',
    groups: groupSizes(keys),
    crossSource: crossSourceEquality(keys, ctx.source),
    floor: bg.length ? floorOf(bg, keys, truth) : null,
    attacks: {},
  };
  if (!dict) {
    notes.push('the background has no dob_year frequencies: dob was not attacked');
    return report;
  }
  const fv = bg[0]!.value;
  const flip = flipOf(ctx, 'dob');
  const withYear = (res: AttackResult, extra: Omit<AttackOutcome, 'measured'>, mask?: Set<number>): AttackOutcome => {
    const t = truth && mask ? truth.map((v, i) => (mask.has(i) ? null : v)) : truth;
    const o = outcome(res, keys, t, extra, fv);
    if (t)
      o.yearTop1 = measure(
        res.guesses.map((g) => (g ? [g[0]!.slice(0, 4)] : null)),
        keys,
        t.map((v) => v?.slice(0, 4) ?? null),
      ).top1;
    return o;
  };
  if (attacks.includes('frequency'))
    report.attacks.frequency = withYear(frequencyAlignment(keys, bg), {
      estimated: estimateAlignment(keys, bg, `${seed}:dob`),
    });
  const dobOpts = { seed: `${seed}:dob`, flip, ...(opts.miningSample ? { sample: opts.miningSample } : {}) };
  if (attacks.includes('mining')) {
    const r = dobAttack({ filters: keys, bits }, years, dobOpts);
    report.attacks.mining = withYear(r, { detail: { itemsets: r.itemsets, tokensLearned: r.tokensLearned } });
    if (truth) {
      const known = knownDates(ctx, keys, truth);
      const k = dobAttack({ filters: keys, bits }, years, { ...dobOpts, known });
      report.attacks['mining-known-dates'] = withYear(
        k,
        { detail: { knownDates: known.size, itemsets: k.itemsets, tokensLearned: k.tokensLearned } },
        new Set(known.keys()),
      );
    }
  }
  if (attacks.includes('denoise')) {
    const dn = clusterDenoise(keys, bits, {
      seed: `${seed}:dob`,
      ...(opts.denoiseSample ? { sample: opts.denoiseSample } : {}),
    });
    const detail = { clusters: dn.clusters, clustered: dn.present ? dn.assigned / dn.present : 0 };
    report.attacks['denoise-frequency'] = withYear(frequencyAlignment(dn.filters, bg), { detail });
    // The denoised centres are nearly noise-free: decoded as deterministic filters.
    const r = dobAttack({ filters: dn.filters, bits }, years, { ...dobOpts, flip: 0 });
    report.attacks['denoise-mining'] = withYear(r, { detail: { ...detail, itemsets: r.itemsets } });
  }
  return report;
}

/**
 * Every plausible date as a background value, most likely first (the years' weight spread over their
 * days); once per dictionary, so once per background table.
 */
const dateBackground = derivedFrom(buildDateBackground);

function buildDateBackground(dict: DateDictionary): BackgroundValue[] {
  const out: BackgroundValue[] = [];
  dict.years.forEach((y, yi) => {
    const w = Math.exp(dict.logPrior[yi]!);
    for (let m = 1; m <= 12; m++)
      for (let d = 1; d <= new Date(Date.UTC(y, m, 0)).getUTCDate(); d++)
        out.push({
          value: `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`,
          count: w,
        });
  });
  return out.sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
}

/** The dates of KNOWN_DATES records, seeded: what an attacker who knows a few people's dates holds. */
function knownDates(
  ctx: ReportInputs,
  keys: readonly (string | null)[],
  truth: (string | null)[],
): Map<number, string> {
  const rng = new Rng(`${ctx.seed}:known-dates`);
  const idx = keys.flatMap((k, i) => (k !== null && truth[i] ? [i] : []));
  const out = new Map<number, string>();
  for (let i = 0; i < idx.length && out.size < KNOWN_DATES; i++) {
    const j = i + rng.int(idx.length - i);
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    out.set(idx[i]!, truth[idx[i]!]!);
  }
  return out;
}

/** Paired difference between the attack's top-1 hits and the floor's, over the measured records. */
function excessOverFloor(
  guesses: Guesses,
  keys: readonly (string | null)[],
  truth: readonly (string | null)[],
  floorValue: string,
): Excess {
  let n = 0;
  let sum = 0;
  let sq = 0;
  keys.forEach((k, i) => {
    const t = truth[i];
    if (k === null || t === null || t === undefined) return;
    n++;
    const x = (guesses[i]?.[0] === t ? 1 : 0) - (floorValue === t ? 1 : 0);
    sum += x;
    sq += x * x;
  });
  if (n === 0) return { rate: 0, lo: 0, hi: 0 };
  const mean = sum / n;
  const half = 1.959963984540054 * Math.sqrt(Math.max(0, sq / n - mean * mean) / n);
  return { rate: mean, lo: mean - half, hi: mean + half };
}

/** Top-1 and top-10 against truth, over records that have both a filter and a true value. */
function measure(
  guesses: Guesses,
  keys: readonly (string | null)[],
  truth: readonly (string | null)[],
): { top1: Rate; top10: Rate } {
  let n = 0;
  let k1 = 0;
  let k10 = 0;
  keys.forEach((k, i) => {
    const t = truth[i];
    if (k === null || t === null || t === undefined) return;
    n++;
    const g = guesses[i];
    if (!g) return;
    if (g[0] === t) k1++;
    if (g.slice(0, 10).includes(t)) k10++;
  });
  return { top1: wilson(k1, n), top10: wilson(k10, n) };
}

/** Full-name guesses from given-name and surname guesses: rank pairs by the sum of their ranks. */
function combine(g: AttackResult, s: AttackResult): AttackResult {
  const guesses = g.guesses.map((gg, i) => {
    const ss = s.guesses[i];
    if (!gg || !ss) return null;
    const pairs: [number, number][] = [];
    for (let a = 0; a < gg.length; a++) for (let b = 0; b < ss.length; b++) pairs.push([a, b]);
    pairs.sort((x, y) => x[0] + x[1] - (y[0] + y[1]) || x[0] - y[0]);
    return pairs.slice(0, 10).map(([a, b]) => `${gg[a]} ${ss[b]}`);
  });
  return { guesses, confident: g.confident.map((c, i) => c & s.confident[i]!) };
}

export function reportDigest(body: Omit<PrivacyReport, 'digest'>): string {
  return 'sha256:' + createHash('sha256').update(canonicalJson(body)).digest('hex');
}
