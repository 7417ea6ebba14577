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
import { patternMining } from './mining.js';
import { unbalance } from './unbalance.js';
import { wilson, type Rate } from './stats.js';
import type { AttackResult, Background, Guesses } from './types.js';

export const REPORT_FORMAT = 'blindlink/privacy-report';
export const ATTACKS = ['frequency', 'mining', 'graph'] as const;
export type AttackName = (typeof ATTACKS)[number];

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
  /** About the inputs (a sample of a larger submission, say): first among the notes. */
  notes?: readonly string[];
}

export interface AttackOutcome {
  /** Against truth: top-1 and top-10 re-identification, 95% Wilson intervals. */
  measured?: { top1: Rate; top10: Rate };
  /** Frequency alignment without truth: an estimate, not a measurement. */
  estimated?: AlignmentEstimate;
  /**
   * Share of records the attacker itself would call decoded (a unique candidate with a margin): its own view,
   * unverified.
   */
  attackerConfident?: Rate;
  detail?: Record<string, number>;
}

export interface FieldReport {
  field: string;
  groups: GroupSizes;
  crossSource: CrossSource | null;
  attacks: Partial<Record<AttackName, AttackOutcome>>;
}

export interface PrivacyReport {
  format: typeof REPORT_FORMAT;
  formatVersion: 1;
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
  const perField = new Map<string, Partial<Record<AttackName, AttackResult>>>();
  for (const field of NAME_FIELDS) {
    const named = nameFieldReport(ctx, field, notes);
    if (!named) continue;
    perField.set(field, named.results);
    fields.push(named.report);
  }
  if (perField.has('given_name') && perField.has('surname')) fields.push(fullNameReport(ctx, perField));
  const dob = dobReport(ctx, notes);
  if (dob) fields.push(dob);
  if (fields.length === 0) notes.push('no given_name, surname or dob filters in these files: nothing to attack');

  const body: Omit<PrivacyReport, 'digest'> = {
    format: REPORT_FORMAT,
    formatVersion: 1,
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
  /** Rows of the truth file that name a record here. */
  truthRows: number;
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
  return {
    opts,
    seed: opts.seed ?? 'blindlink-privacy-report',
    attacks: opts.attacks ?? ATTACKS,
    records,
    source: Uint16Array.from(sources.flatMap((s, i) => s.records.map(() => i))),
    tokens,
    bitsOf,
    truthRows,
  };
}

/** One field's filter per record (null: the record has none). */
function columnOf(ctx: ReportInputs, field: string): (string | null)[] {
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

/** An attack's outcome: measured against truth when there is one, and the attacker's own confidence. */
function outcome(
  res: AttackResult,
  keys: readonly (string | null)[],
  truth: (string | null)[] | null,
  extra: Omit<AttackOutcome, 'measured'> = {},
): AttackOutcome {
  const o: AttackOutcome = { ...extra };
  if (truth) o.measured = measure(res.guesses, keys, truth);
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

/** A name field: what is seen without attack, and each attack; null when the files do not encode it. */
function nameFieldReport(
  ctx: ReportInputs,
  field: string,
  notes: string[],
): { report: FieldReport; results: Partial<Record<AttackName, AttackResult>> } | null {
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
    attacks: {},
  };
  const results: Partial<Record<AttackName, AttackResult>> = {};
  if (!bg) {
    notes.push(`the background has no ${field} frequencies: ${field} was not attacked`);
    return { report, results };
  }
  if (attacks.includes('frequency')) {
    results.frequency = frequencyAlignment(keys, bg);
    report.attacks.frequency = outcome(results.frequency, keys, truth, {
      estimated: estimateAlignment(keys, bg, `${seed}:${field}`),
    });
  }
  // Balanced filters are undone first (complementary position pairs); the header says so too.
  const view =
    attacks.includes('mining') || attacks.includes('graph')
      ? (unbalance(keys, bits) ?? { filters: keys, bits })
      : { filters: keys, bits };
  if (view.bits !== bits)
    notes.push(`${field}: balanced filters undone (complementary position pairs), attacked at ${view.bits} bits`);
  if (attacks.includes('mining')) {
    const m = patternMining(view, bg, {
      seed: `${seed}:${field}`,
      ...(opts.miningSample ? { sample: opts.miningSample } : {}),
    });
    results.mining = m;
    report.attacks.mining = outcome(m, keys, truth, {
      detail: { itemsets: m.itemsets, bitsPerToken: m.bitsPerToken },
    });
  }
  if (attacks.includes('graph')) {
    results.graph = graphMatching(view, bg, opts.graphNodes ? { nodes: opts.graphNodes } : {});
    report.attacks.graph = outcome(results.graph, keys, truth);
  }
  return { report, results };
}

/**
 * Full name: both filters together. Frequency alignment groups the pairs; the other attacks
 * combine their per-field guesses (right only when both are).
 */
function fullNameReport(
  ctx: ReportInputs,
  perField: Map<string, Partial<Record<AttackName, AttackResult>>>,
): FieldReport {
  const { opts, attacks, seed } = ctx;
  const g = columnOf(ctx, 'given_name');
  const s = columnOf(ctx, 'surname');
  const keys = g.map((x, i) => (x !== null && s[i] !== null ? `${x}|${s[i]}` : null));
  const truth = opts.truth ? truthOf(ctx, 'full_name') : null;
  const report: FieldReport = {
    field: 'full_name',
    groups: groupSizes(keys),
    crossSource: crossSourceEquality(keys, ctx.source),
    attacks: {},
  };
  const bgG = opts.background.fields.get('given_name');
  const bgS = opts.background.fields.get('surname');
  if (bgG && bgS) {
    const bg = fullNameBackground(bgG, bgS);
    if (attacks.includes('frequency'))
      report.attacks.frequency = outcome(frequencyAlignment(keys, bg), keys, truth, {
        estimated: estimateAlignment(keys, bg, `${seed}:full_name`),
      });
    for (const a of ['mining', 'graph'] as const) {
      const rg = perField.get('given_name')![a];
      const rs = perField.get('surname')![a];
      if (rg && rs) report.attacks[a] = outcome(combine(rg, rs), keys, truth);
    }
  }
  return report;
}

/** Dates of birth: groups of identical filters only. */
function dobReport(ctx: ReportInputs, notes: string[]): FieldReport | null {
  if (ctx.bitsOf.get('dob') === undefined) return null;
  const keys = columnOf(ctx, 'dob');
  notes.push(
    'dob: groups of identical filters only (no attack here decodes a date); an unsalted date gives one ' +
      'filter per distinct date',
  );
  return {
    field: 'dob',
    groups: groupSizes(keys),
    crossSource: crossSourceEquality(keys, ctx.source),
    attacks: {},
  };
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
