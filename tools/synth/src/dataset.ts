import { AgencyExtractor, AGENCY_PROFILES, type PendingRecord } from './agency-extracts.js';
import { type ErrorModelName, errorModel } from './error-model.js';
import { AGENCIES, type Agency, type ErrorRates, type Household } from './model.js';
import { generatePopulation, type PopulationOptions } from './population.js';
import { Prng } from './prng.js';

/**
 * The whole synthetic dataset as one deterministic stream of events: each household (truth) and each
 * agency record in file order. Records pass through a small per-agency shuffle window so that row
 * order does not line up across agencies (linking by row position would otherwise be trivial),
 * while memory stays bounded.
 */

export interface DatasetOptions extends PopulationOptions {
  agencies?: readonly Agency[];
  /** The error model (default `own`); `errorRates` and `rates` override its rates. */
  errorModel?: ErrorModelName;
  errorRates?: Partial<ErrorRates>;
  /** Rows held back per agency for local shuffling; 0 keeps household order. */
  shuffleWindow?: number;
}

/** An extract row with its agency-local record id. */
export type SynthRecord = PendingRecord;

export type DatasetEvent = { kind: 'household'; household: Household } | { kind: 'record'; record: SynthRecord };

export const DEFAULT_SHUFFLE_WINDOW = 2048;

/** A bounded random-release buffer: output order is a local permutation of input order. */
class ShuffleWindow<T> {
  private readonly items: T[] = [];
  constructor(
    private readonly size: number,
    private readonly rng: Prng,
  ) {}

  push(item: T): T | null {
    if (this.size <= 0) return item;
    if (this.items.length < this.size) {
      this.items.push(item);
      return null;
    }
    const j = this.rng.int(this.size);
    const out = this.items[j] as T;
    this.items[j] = item;
    return out;
  }

  *drain(): Generator<T> {
    while (this.items.length > 0) {
      const j = this.rng.int(this.items.length);
      const last = this.items.pop() as T;
      if (j < this.items.length) {
        const out = this.items[j] as T;
        this.items[j] = last;
        yield out;
      } else yield last;
    }
  }
}

export function recordId(agency: Agency, seq: number): string {
  return `${AGENCY_PROFILES[agency].prefix}${String(seq).padStart(7, '0')}`;
}

export function* generateDataset(persons: number, seed: string, options: DatasetOptions = {}): Generator<DatasetEvent> {
  const agencies = options.agencies ?? AGENCIES;
  const model = errorModel(options.errorModel);
  const rates: ErrorRates = { ...model.errorRates, ...options.errorRates };
  const window = options.shuffleWindow ?? DEFAULT_SHUFFLE_WINDOW;
  const lanes = agencies.map((agency) => ({
    agency,
    extractor: new AgencyExtractor(agency, seed, rates, model),
    shuffle: new ShuffleWindow<PendingRecord>(window, Prng.fromSeed(seed, `shuffle:${agency}`)),
    seq: 0,
  }));
  const emit = (lane: (typeof lanes)[number], rec: PendingRecord): SynthRecord => {
    rec.recordId = recordId(lane.agency, ++lane.seq);
    rec.values[0] = rec.recordId;
    return rec;
  };
  const populationOptions = { ...options, rates: { ...model.populationRates, ...options.rates } };
  for (const household of generatePopulation(persons, seed, populationOptions)) {
    model.rename?.(household);
    yield { kind: 'household', household };
    for (const lane of lanes) {
      for (const rec of lane.extractor.extract(household)) {
        const out = lane.shuffle.push(rec);
        if (out) yield { kind: 'record', record: emit(lane, out) };
      }
    }
  }
  for (const lane of lanes) {
    for (const rec of lane.shuffle.drain()) yield { kind: 'record', record: emit(lane, rec) };
  }
}
