import type { DataQualityRule } from '@blindlink/policies';
import { dice } from '../linkage/kernel/index.js';
import { popcountBytes } from '../linkage/kernel/popcount.js';
import { debiasedDice } from '../linkage/scoring/field-dice.js';
import type { RunRecord } from './run-records.js';

/**
 * Data-quality feedback, pure: about the requester's own rows only. Duplicates are pairs of its rows
 * in one entity; a disagreement is a field (dob, sex) whose encoding the linked records of at least
 * two other sources disagree with — and more sources disagree than agree, so the flag points at the
 * odd one out — judged by per-field Dice of encodings; the other value never leaves, nor do tokens
 * of other sources. Unlinked rows share their entity with no other source.
 */

const CHECKED = ['dob', 'sex'] as const;
type Checked = (typeof CHECKED)[number];

/** Dice of two records' filters of one field, corrected for flipping (both sides flip alike in a run). */
function fieldDice(a: { filter: Uint8Array; flip: number }, b: { filter: Uint8Array; flip: number }): number {
  const d = dice(a.filter, b.filter);
  if (a.flip === 0) return d;
  return debiasedDice(d, popcountBytes(a.filter), popcountBytes(b.filter), a.filter.length * 8, a.flip);
}

export function dataQuality(records: readonly RunRecord[], requester: string, rule: DataQualityRule) {
  const level = rule.disagreeBelow ?? 0.8;
  const byEntity = new Map<string, RunRecord[]>();
  for (const r of records) {
    const list = byEntity.get(r.entityId);
    if (list) list.push(r);
    else byEntity.set(r.entityId, [r]);
  }
  const mine = records.filter((r) => r.agency === requester);
  const duplicates: [string, string][] = [];
  const unlinked: string[] = [];
  const disagreements: { token: string; fields: Checked[] }[] = [];
  for (const members of byEntity.values()) {
    const own = members.filter((r) => r.agency === requester).sort((a, b) => (a.token < b.token ? -1 : 1));
    for (let i = 0; i < own.length; i++)
      for (let j = i + 1; j < own.length; j++) duplicates.push([own[i]!.token, own[j]!.token]);
    const others = members.filter((r) => r.agency !== requester);
    if (own.length > 0 && others.length === 0) for (const r of own) unlinked.push(r.token);
    for (const r of own) {
      const fields = CHECKED.filter((f) => disagrees(r, others, f, level));
      if (fields.length > 0) disagreements.push({ token: r.token, fields });
    }
  }
  const carries = (f: Checked, theirs: boolean) =>
    records.some((r) => (r.agency !== requester) === theirs && r.fields?.[f] !== undefined);
  const count = (f: Checked) => disagreements.filter((d) => d.fields.includes(f)).length;
  return {
    summary: {
      records: mine.length,
      duplicatePairs: duplicates.length,
      dobDisagreements: count('dob'),
      sexDisagreements: count('sex'),
      unlinked: unlinked.length,
      dobCompared: carries('dob', false) && carries('dob', true),
      sexCompared: carries('sex', false) && carries('sex', true),
    },
    // Shaped { tokens } and { token } as every release is, so the agency client maps them to record ids.
    duplicates: duplicates.sort().map((tokens) => ({ tokens })),
    disagreements: disagreements.sort((a, b) => (a.token < b.token ? -1 : 1)),
    unlinked: unlinked.sort().map((token) => ({ token })),
  };
}

/** A source disagrees when none of its linked records carrying the field is alike enough. */
function disagrees(own: RunRecord, others: readonly RunRecord[], field: Checked, level: number): boolean {
  const mine = own.fields?.[field];
  if (!mine) return false;
  const verdict = new Map<string, boolean>();
  for (const o of others) {
    const theirs = o.fields?.[field];
    // Filters of another length come from another schema: not comparable bit by bit.
    if (!theirs || theirs.filter.length !== mine.filter.length) continue;
    const alike = fieldDice(mine, theirs) >= level;
    verdict.set(o.agency, (verdict.get(o.agency) ?? false) || alike);
  }
  const against = [...verdict.values()].filter((alike) => !alike).length;
  return against >= 2 && against > verdict.size - against;
}
