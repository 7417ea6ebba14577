/**
 * The engine's reasoning lines: why a run scored and linked as it did, in English for the people who
 * read a run's report. Pure text from counts and fitted figures; never an identifier value.
 */
import type { ResidualResult } from './residual.js';
import { CO_RESIDENT_SHARE, type HouseholdModel } from './scoring/index.js';
import type { EngineSource } from './types.js';

/** Whether the household test ran, and what it did: `test` absent when it did not run. */
export function householdTestLine(share: number, test?: { household: HouseholdModel; vetoed: number }): string {
  if (test) {
    const { household, vetoed } = test;
    return (
      `Household test on: ${(100 * share).toFixed(1)}% of records share every household-level field with another ` +
      `person of their own source. ` +
      `A second model, fitted on the ${household.pairs} candidate pairs at one address ` +
      `(${household.addressFields.join(' and ')} agree), weighs one person against two people of one household ` +
      `(one-person share there ${(100 * household.lambda).toFixed(1)}%; the prior above counts only those); it ` +
      `read ${vetoed} pairs above the threshold as co-residents (e.g. a parent and child), which were not linked.`
    );
  }
  if (share >= CO_RESIDENT_SHARE)
    return (
      `Household test off: ${(100 * share).toFixed(1)}% of records share household-level fields with another ` +
      `person of their own source, but too few candidate pairs share an address (or no address field is encoded) ` +
      `to fit a co-resident model.`
    );
  return (
    `Household test off: only ${(100 * share).toFixed(2)}% of records share every household-level field with ` +
    `another person of their own source (below ${100 * CO_RESIDENT_SHARE}%), so shared address evidence is not ` +
    `mistaken for one person.`
  );
}

/** Why the run scored by record-level Dice rather than a Fellegi–Sunter model. */
export function diceLine(
  threshold: number,
  why: { clkMode: boolean; fields: number; crossPairs: number; minTraining: number },
): string {
  const reason = why.clkMode
    ? why.fields === 0
      ? 'the inputs carry no field-level filters'
      : 'fewer than two comparable fields'
    : `only ${why.crossPairs} candidate pairs across sources, fewer than the ${why.minTraining} needed to fit ` +
      'a Fellegi–Sunter model without labels';
  return `record-level CLK Dice ≥ ${threshold} (${reason})`;
}

/** What the residual pass added: links at one address, and between households that moved together. */
export function residualLine(sources: Pick<EngineSource, 'name'>[], r: ResidualResult): string {
  const byPair = new Map<string, string[]>();
  for (const p of r.addressPriors) {
    const k = `${sources[p.sources[0]]!.name} × ${sources[p.sources[1]]!.name}`;
    byPair.set(k, [
      ...(byPair.get(k) ?? []),
      `${p.shape === 'one-to-one' ? 'one record each' : 'more'} ${p.rho.toFixed(3)} (${p.groups} addresses)`,
    ]);
  }
  const priors = [...byPair].map(([k, v]) => `${k}: ${v.join(', ')}`).join('; ');
  return (
    `Residual pass: records left without a partner in another source were matched again, knowing each has at ` +
    `most one there. ` +
    `${r.atAddress} links at one address (the unpartnered records of two sources there, matched jointly with the ` +
    `household model's evidence; ` +
    `the share of the smaller side's records with a partner at their address, fitted by EM: ` +
    `${priors || 'no address shared by two sources'}), ` +
    `and ${r.moved} between people of a household that moved together (two or more unpartnered people of one ` +
    `address matching, one to one, people of one other address).`
  );
}

/** A run that applied a stored model: continuing `previousRunId` (incremental) or, without it, in full. */
export function storedModelLine(fittedIn: string, newPairs: number, previousRunId: string | null): string {
  return previousRunId !== null
    ? `Incremental run: the model, threshold and blocking of run ${fittedIn} applied to ${newPairs} new candidate ` +
        `pairs, not re-fitted; pairs among unchanged records carried over from run ${previousRunId}.`
    : `Blocked and scored with the stored model and threshold of run ${fittedIn}, not re-fitted.`;
}

/** The fit's line on clerical-review labels: they refined m (scoring/labelled.ts). */
export function labelledFitLine(l: {
  matches: number;
  nonMatches: number;
  expectedMatches: number;
  surprise: number;
}): string {
  const n = (x: number) => Math.round(x).toLocaleString('en-GB');
  return (
    `Clerical review in the fit: ${l.matches} labelled match(es) and ${l.nonMatches} non-match(es) refined m, ` +
    `each counted as one pair of its known class against the ${n(l.expectedMatches)} matches the model expects ` +
    `among the candidates; the model expected ${(l.matches - l.surprise).toFixed(1)} of them to be matches.`
  );
}
