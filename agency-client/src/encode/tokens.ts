/**
 * Normalised value → tokens, per token kind (see docs/encoding.md, "Tokenisation"). Tokens carry a
 * short prefix per kind ("w:" whole word, "y:" year ...) so that a q-gram can never equal a whole
 * value of another kind. Pure.
 */
import type { AddressParts, DobParts, NameParts, NormaliseOk, PostcodeParts } from '../normalise/index.js';
import type { TokenSpec, Transform } from './schema.js';
import { soundex } from './soundex.js';

type Ok = NormaliseOk<unknown>;

/** q-grams of `s`, padded with q−1 '_' at both ends so first and last letters weigh as much as inner ones. */
export function qgrams(s: string, q: number, out: Set<string>): void {
  if (q === 1) {
    for (const ch of s) out.add(ch);
    return;
  }
  const pad = '_'.repeat(q - 1);
  const cps = [...(pad + s + pad)];
  for (let i = 0; i + q <= cps.length; i++) out.add(cps.slice(i, i + q).join(''));
}

function nameTokens(r: Ok, spec: Extract<TokenSpec, { kind: 'name' }>, out: Set<string>): void {
  const add = (s: string): void => {
    qgrams(s, spec.q, out);
    out.add(`w:${s}`);
  };
  add(r.value);
  // Each part of "Smith-Jones" is also a name of its own: "Smith" alone then shares its tokens.
  const parts = (r.parts as NameParts | undefined) ?? [];
  if (spec.parts && parts.length > 1) for (const p of parts) add(p);
  // Canonical forms (Bill → william): their q-grams too, so a nickname scores high against the full name.
  if (spec.variants) for (const v of r.variants ?? []) add(v);
}

function dateTokens(r: Ok, out: Set<string>): void {
  const p = r.parts as DobParts;
  const digits = r.value.replace(/-/g, '');
  // Positional digits: one mistyped digit keeps 7 of 8.
  for (let i = 0; i < digits.length; i++) out.add(`${i}:${digits.charAt(i)}`);
  out.add(`y:${p.year}`);
  out.add(`m:${p.month}`);
  out.add(`d:${p.day}`);
  out.add(`ym:${p.year}-${p.month}`);
  out.add(`md:${p.month}-${p.day}`);
  out.add(`dec:${Math.floor(p.year / 10)}`);
  // Day and month as an unordered pair: a day/month swap (a US-style export) still shares it.
  out.add(`dm:${Math.min(p.day, p.month)}/${Math.max(p.day, p.month)}`);
}

function postcodeTokens(r: Ok, q: number, out: Set<string>): void {
  const p = r.parts as PostcodeParts;
  qgrams(r.value.replace(/ /g, ''), q, out);
  out.add(`u:${r.value}`);
  out.add(`s:${p.sector}`);
  out.add(`d:${p.district}`);
  out.add(`a:${p.area}`);
}

function addressTokens(r: Ok, q: number, out: Set<string>): void {
  const p = r.parts as AddressParts;
  qgrams(r.value, q, out);
  // Whole words survive reordering of address lines; numbers and flats are strong evidence.
  for (const w of p.street.split(' ')) if (w !== '') out.add(`w:${w}`);
  if (p.number !== undefined) out.add(`n:${p.number}`);
  if (p.flat !== undefined) out.add(`f:${p.flat}`);
}

export function tokenize(r: Ok, spec: TokenSpec): string[] {
  const out = new Set<string>();
  switch (spec.kind) {
    case 'name':
      nameTokens(r, spec, out);
      break;
    case 'date':
      dateTokens(r, out);
      break;
    case 'postcode':
      postcodeTokens(r, spec.q, out);
      break;
    case 'address':
      addressTokens(r, spec.q, out);
      break;
    case 'qgrams':
      qgrams(r.value, spec.q, out);
      break;
    case 'exact':
      out.add(`=${r.value}`);
      break;
  }
  return [...out];
}

/**
 * Values a blocking key or salt takes from one field. With `alternatives`, a name also gives the
 * values of its parts and canonical variants, each its own blocking token (more recall, a few more
 * candidate pairs). Deduplicated; empty when the transform has nothing to give.
 */
export function transformValues(r: Ok, transform: Transform, alternatives: boolean): string[] {
  const names = alternatives
    ? [r.value, ...((r.parts as NameParts | undefined) ?? []), ...(r.variants ?? [])]
    : [r.value];
  // A handful of values: an array searched linearly costs less than a Set, in the order a Set keeps.
  const out: string[] = [];
  const add = (v: string): void => {
    if (v !== '' && !out.includes(v)) out.push(v);
  };
  for (const n of names) {
    switch (transform) {
      case 'value':
        add(n);
        break;
      case 'soundex':
        add(soundex(n));
        break;
      case 'initial':
        add(n.charAt(0));
        break;
      case 'year':
        add(String((r.parts as DobParts).year));
        break;
      case 'sector':
        add((r.parts as PostcodeParts).sector);
        break;
      case 'district':
        add((r.parts as PostcodeParts).district);
        break;
    }
  }
  return out;
}
