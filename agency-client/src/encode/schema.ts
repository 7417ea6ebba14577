/**
 * blindlink's own encoding schema format ("blindlink-encoding-schema", format version 1).
 *
 * A schema says, per identifier field, which normaliser reads it, how its normalised value becomes
 * tokens, how many bits each token sets in the record-level CLK and in the field's own Bloom filter,
 * which keyed blocking keys are derived, and which hardening steps run. Any change that alters
 * encodings changes the fingerprint, which travels in every encoded file; the broker links only files
 * with equal fingerprints. The secret is never part of the schema or the fingerprint.
 * Documented in docs/encoding.md.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { canonicalJson } from '@blindlink/protocol';
import { ADDRESS_ABBREVIATIONS, NAME_VARIANT_GROUPS, type NormalisedField } from '../normalise/index.js';

/**
 * Version of the encoding algorithm itself (tokenisers, hashing, hardening code). Bump it whenever
 * this code changes how a value becomes bits, so the fingerprint changes with it.
 */
export const ENCODER_VERSION = 'blindlink-encode/1';

export const SCHEMA_FORMAT = 'blindlink-encoding-schema';
export const SCHEMA_FORMAT_VERSION = 1;

export const NORMALISERS: readonly NormalisedField[] = [
  'given_name',
  'surname',
  'dob',
  'sex',
  'address',
  'postcode',
  'nhs_number',
  'identifier',
  'text',
];

/** How a normalised value becomes tokens (see tokens.ts). */
export type TokenSpec =
  | { kind: 'name'; q: number; parts: boolean; variants: boolean }
  | { kind: 'date' }
  | { kind: 'postcode'; q: number }
  | { kind: 'address'; q: number }
  | { kind: 'qgrams'; q: number }
  | { kind: 'exact' };

export interface FieldSpec {
  /** Field name: the CSV column unless mapped with --map; also the key in a record's `fields`. */
  name: string;
  normaliser: NormalisedField;
  tokens: TokenSpec;
  /** Bits each token sets in the record-level CLK; 0 leaves the field out of the CLK. */
  clkBitsPerToken: number;
  /** The field's own Bloom filter, or null for none. `bits` is the length before hardening. */
  filter: { bits: number; bitsPerToken: number } | null;
}

/** Value taken from a field for a blocking key or a salt. */
export type Transform = 'value' | 'soundex' | 'initial' | 'year' | 'sector' | 'district';

export interface KeyPart {
  field: string;
  transform: Transform;
  /** Also use the name's parts and canonical variants (each gives its own blocking token). */
  alternatives: boolean;
}

export interface BlockingKeySpec {
  name: string;
  parts: KeyPart[];
}

export type HardeningSpec =
  | { step: 'salt'; from: { field: string; transform: Transform }; fields: string[] }
  | { step: 'balance' }
  | { step: 'xor-fold' }
  /** Randomised response: each bit of the listed fields' filters flipped with this probability, per record. */
  | { step: 'flip'; probability: number; fields: string[] };

export interface EncodingSchema {
  format: typeof SCHEMA_FORMAT;
  formatVersion: typeof SCHEMA_FORMAT_VERSION;
  id: string;
  version: number;
  description?: string;
  /** Length of the record-level CLK before hardening. */
  clkBits: number;
  fields: FieldSpec[];
  blockingKeys: BlockingKeySpec[];
  hardening: HardeningSpec[];
}

/**
 * The built-in schema for UK person records, version 3: blind by default. Sizes aim at a filter
 * about 25–40% full for a typical value (docs/encoding.md has the counts behind each number).
 * Given name, surname and date of birth get 1024-bit filters with three times the bits per token of
 * version 2, and every bit of them is flipped with probability 0.2 per record (`flip`): equal values
 * no longer encode equally, so the broker cannot join or count them, and the q-gram patterns that
 * pattern mining reads drown in the noise; the longer filters give the broker back most of the
 * similarity signal the noise takes (bench:privacy has the trade-off curve). Sex has no filter of its
 * own (two values, so a filter would split every record by sex); it stays in the CLK and a blocking key.
 */
export const UK_PERSON: EncodingSchema = {
  format: SCHEMA_FORMAT,
  formatVersion: SCHEMA_FORMAT_VERSION,
  id: 'uk-person',
  version: 3,
  description:
    'UK person identifiers: names with variants, date of birth, sex, address, postcode, NHS number; names and date of birth flipped per record',
  clkBits: 1024,
  fields: [
    {
      name: 'given_name',
      normaliser: 'given_name',
      tokens: { kind: 'name', q: 2, parts: true, variants: true },
      clkBitsPerToken: 8,
      filter: { bits: 1024, bitsPerToken: 24 },
    },
    {
      name: 'surname',
      normaliser: 'surname',
      tokens: { kind: 'name', q: 2, parts: true, variants: true },
      clkBitsPerToken: 8,
      filter: { bits: 1024, bitsPerToken: 24 },
    },
    {
      name: 'dob',
      normaliser: 'dob',
      tokens: { kind: 'date' },
      clkBitsPerToken: 5,
      filter: { bits: 1024, bitsPerToken: 18 },
    },
    { name: 'sex', normaliser: 'sex', tokens: { kind: 'exact' }, clkBitsPerToken: 8, filter: null },
    {
      name: 'address',
      normaliser: 'address',
      tokens: { kind: 'address', q: 2 },
      clkBitsPerToken: 2,
      filter: { bits: 1024, bitsPerToken: 4 },
    },
    {
      name: 'postcode',
      normaliser: 'postcode',
      tokens: { kind: 'postcode', q: 2 },
      clkBitsPerToken: 6,
      filter: { bits: 256, bitsPerToken: 8 },
    },
    {
      name: 'nhs_number',
      normaliser: 'nhs_number',
      tokens: { kind: 'exact' },
      clkBitsPerToken: 20,
      filter: { bits: 64, bitsPerToken: 10 },
    },
  ],
  blockingKeys: [
    {
      name: 'surname-soundex+yob',
      parts: [
        { field: 'surname', transform: 'soundex', alternatives: true },
        { field: 'dob', transform: 'year', alternatives: false },
      ],
    },
    {
      name: 'postcode-sector+sex',
      parts: [
        { field: 'postcode', transform: 'sector', alternatives: false },
        { field: 'sex', transform: 'value', alternatives: false },
      ],
    },
    { name: 'nhs-number', parts: [{ field: 'nhs_number', transform: 'value', alternatives: false }] },
    {
      name: 'given-initial+dob',
      parts: [
        { field: 'given_name', transform: 'initial', alternatives: true },
        { field: 'dob', transform: 'value', alternatives: false },
      ],
    },
  ],
  hardening: [{ step: 'flip', probability: 0.2, fields: ['given_name', 'surname', 'dob'] }],
};

/**
 * Version 2 of uk-person, unhardened: every filter deterministic, so equal values give equal
 * filters in every record and agency. Kept to measure attacks against (the privacy tests and
 * bench:privacy show what they read from it) and for purposes still linking version-2 files.
 */
export const UK_PERSON_UNHARDENED: EncodingSchema = {
  ...UK_PERSON,
  id: 'uk-person-unhardened',
  version: 2,
  description: 'uk-person version 2, without hardening: equal values encode equally (for comparison only)',
  fields: UK_PERSON.fields.map((f) =>
    f.name === 'given_name' || f.name === 'surname'
      ? { ...f, filter: { bits: 256, bitsPerToken: 8 } }
      : f.name === 'dob'
        ? { ...f, filter: { bits: 256, bitsPerToken: 6 } }
        : f.name === 'sex'
          ? { ...f, filter: { bits: 64, bitsPerToken: 8 } }
          : f,
  ),
  hardening: [],
};

/** uk-person with names also salted by year of birth: no name comparison across birth cohorts; needs a date of birth to link on names. */
export const UK_PERSON_SALTED: EncodingSchema = {
  ...UK_PERSON,
  id: 'uk-person-salted',
  description: 'uk-person with given name and surname also salted by year of birth',
  hardening: [
    { step: 'salt', from: { field: 'dob', transform: 'year' }, fields: ['given_name', 'surname'] },
    ...UK_PERSON.hardening,
  ],
};

export const BUILT_IN_SCHEMAS: Readonly<Record<string, EncodingSchema>> = Object.freeze({
  'uk-person': UK_PERSON,
  'uk-person-salted': UK_PERSON_SALTED,
  'uk-person-unhardened': UK_PERSON_UNHARDENED,
});

export class SchemaError extends Error {}

const TRANSFORMS: readonly Transform[] = ['value', 'soundex', 'initial', 'year', 'sector', 'district'];
/** Transforms each normaliser supports (what its result carries). */
const TRANSFORMS_FOR: Readonly<Record<NormalisedField, readonly Transform[]>> = {
  given_name: ['value', 'soundex', 'initial'],
  surname: ['value', 'soundex', 'initial'],
  dob: ['value', 'year'],
  sex: ['value'],
  address: ['value'],
  postcode: ['value', 'sector', 'district'],
  nhs_number: ['value'],
  identifier: ['value'],
  text: ['value'],
};
const TOKEN_KINDS_FOR: Readonly<Record<TokenSpec['kind'], readonly NormalisedField[] | 'any'>> = {
  name: ['given_name', 'surname'],
  date: ['dob'],
  postcode: ['postcode'],
  address: ['address'],
  qgrams: 'any',
  exact: 'any',
};

/** Position of the value being checked, for error messages: "fields[2].filter.bits". */
class Checker {
  constructor(private readonly source: string) {}

  fail(path: string, msg: string): never {
    throw new SchemaError(`${this.source}: ${path}: ${msg}`);
  }

  object(v: unknown, path: string, allowed: readonly string[]): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, 'must be an object');
    const o = v as Record<string, unknown>;
    const extra = Object.keys(o).filter((k) => !allowed.includes(k));
    if (extra.length > 0)
      this.fail(
        path,
        `unknown propert${extra.length > 1 ? 'ies' : 'y'} ${extra.map((k) => JSON.stringify(k)).join(', ')} (allowed: ${allowed.join(', ')})`,
      );
    return o;
  }

  int(v: unknown, path: string, min: number, max: number, multipleOf = 1): number {
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(path, 'must be an integer');
    if (v < min || v > max) this.fail(path, `must be from ${min} to ${max} (is ${v})`);
    if (v % multipleOf !== 0) this.fail(path, `must be a multiple of ${multipleOf} (is ${v})`);
    return v;
  }

  bool(v: unknown, path: string, dflt: boolean): boolean {
    if (v === undefined) return dflt;
    if (typeof v !== 'boolean') this.fail(path, 'must be true or false');
    return v;
  }

  str(v: unknown, path: string, pattern: RegExp, hint: string): string {
    if (typeof v !== 'string' || !pattern.test(v)) this.fail(path, `must be ${hint}`);
    return v;
  }

  oneOf<T extends string>(v: unknown, path: string, options: readonly T[]): T {
    if (typeof v !== 'string' || !(options as readonly string[]).includes(v))
      this.fail(path, `must be one of ${options.join(', ')}`);
    return v as T;
  }

  array(v: unknown, path: string, max: number): unknown[] {
    if (!Array.isArray(v)) this.fail(path, 'must be an array');
    if (v.length > max) this.fail(path, `must have at most ${max} entries`);
    return v;
  }
}

const FIELD_NAME = /^[a-z][a-z0-9_]{0,63}$/;
const KEY_NAME = /^[a-z0-9][a-z0-9+._-]{0,63}$/;

function parseTokens(c: Checker, v: unknown, path: string, normaliser: NormalisedField): TokenSpec {
  const o = c.object(v, path, ['kind', 'q', 'parts', 'variants']);
  const kind = c.oneOf(o.kind, `${path}.kind`, Object.keys(TOKEN_KINDS_FOR) as TokenSpec['kind'][]);
  const fits = TOKEN_KINDS_FOR[kind];
  if (fits !== 'any' && !fits.includes(normaliser))
    c.fail(`${path}.kind`, `"${kind}" tokens need the ${fits.join(' or ')} normaliser, not ${normaliser}`);
  const noExtra = (keys: string[]): void => {
    for (const k of keys) if (o[k] !== undefined) c.fail(`${path}.${k}`, `is not used by "${kind}" tokens`);
  };
  switch (kind) {
    case 'name':
      return {
        kind,
        q: c.int(o.q ?? 2, `${path}.q`, 1, 4),
        parts: c.bool(o.parts, `${path}.parts`, true),
        variants: c.bool(o.variants, `${path}.variants`, true),
      };
    case 'postcode':
    case 'address':
    case 'qgrams':
      noExtra(['parts', 'variants']);
      return { kind, q: c.int(o.q ?? 2, `${path}.q`, 1, 4) };
    case 'date':
    case 'exact':
      noExtra(['q', 'parts', 'variants']);
      return { kind };
  }
}

function parseKeyPart(
  c: Checker,
  v: unknown,
  path: string,
  fields: Map<string, FieldSpec>,
  withAlternatives: boolean,
): KeyPart {
  const o = c.object(v, path, withAlternatives ? ['field', 'transform', 'alternatives'] : ['field', 'transform']);
  const field = c.str(o.field, `${path}.field`, FIELD_NAME, 'a field name');
  const spec = fields.get(field);
  if (!spec) c.fail(`${path}.field`, `names "${field}", which is not among the schema's fields`);
  const transform = c.oneOf(o.transform ?? 'value', `${path}.transform`, TRANSFORMS);
  if (!TRANSFORMS_FOR[spec.normaliser].includes(transform)) {
    c.fail(
      `${path}.transform`,
      `"${transform}" does not apply to a ${spec.normaliser} field (use ${TRANSFORMS_FOR[spec.normaliser].join(', ')})`,
    );
  }
  const alternatives = c.bool(o.alternatives, `${path}.alternatives`, false);
  if (alternatives && spec.normaliser !== 'given_name' && spec.normaliser !== 'surname')
    c.fail(`${path}.alternatives`, 'only name fields have alternatives (parts and variants)');
  return { field, transform, alternatives };
}

/** Bits after the hardening steps: balancing doubles, folding halves. */
export function hardenedBits(bits: number, hardening: readonly HardeningSpec[]): number {
  let n = bits;
  for (const h of hardening) {
    if (h.step === 'balance') n *= 2;
    else if (h.step === 'xor-fold') n /= 2;
  }
  return n;
}

/**
 * Checks decoded JSON against the schema format and returns it with defaults filled in. Errors name
 * `source` and the JSON path of the offending value.
 */
export function parseEncodingSchema(json: unknown, source = 'schema'): EncodingSchema {
  const c = new Checker(source);
  const o = c.object(json, '(top)', [
    '$comment',
    'format',
    'formatVersion',
    'id',
    'version',
    'description',
    'clkBits',
    'fields',
    'blockingKeys',
    'hardening',
  ]);
  if (o.format !== SCHEMA_FORMAT)
    c.fail(
      'format',
      `must be "${SCHEMA_FORMAT}" (is ${JSON.stringify(o.format)}): is this a clkhash schema? use --format clkhash for those`,
    );
  if (o.formatVersion !== SCHEMA_FORMAT_VERSION)
    c.fail(
      'formatVersion',
      `must be ${SCHEMA_FORMAT_VERSION}; this client reads format version ${SCHEMA_FORMAT_VERSION} only`,
    );
  const id = c.str(
    o.id,
    'id',
    /^[a-z0-9][a-z0-9._-]{0,127}$/,
    'a lower-case name (letters, digits, . _ -), at most 128 characters',
  );
  const version = c.int(o.version, 'version', 1, 1_000_000);
  const description =
    o.description === undefined
      ? undefined
      : c.str(o.description, 'description', /^[^\n]{0,500}$/, 'one line of at most 500 characters');
  const clkBits = c.int(o.clkBits, 'clkBits', 64, 8192, 16);

  const fields: FieldSpec[] = [];
  const byName = new Map<string, FieldSpec>();
  const rawFields = c.array(o.fields, 'fields', 32);
  if (rawFields.length === 0) c.fail('fields', 'must list at least one field');
  rawFields.forEach((fv, i) => {
    const p = `fields[${i}]`;
    const f = c.object(fv, p, ['name', 'normaliser', 'tokens', 'clkBitsPerToken', 'filter']);
    const name = c.str(
      f.name,
      `${p}.name`,
      FIELD_NAME,
      'a field name: lower case letter first, then letters, digits or _ (at most 64)',
    );
    if (byName.has(name)) c.fail(`${p}.name`, `"${name}" is listed twice`);
    const normaliser = c.oneOf(f.normaliser ?? name, `${p}.normaliser`, NORMALISERS);
    const tokens = parseTokens(c, f.tokens, `${p}.tokens`, normaliser);
    const clkBitsPerToken = c.int(f.clkBitsPerToken, `${p}.clkBitsPerToken`, 0, 64);
    let filter: FieldSpec['filter'] = null;
    if (f.filter !== null && f.filter !== undefined) {
      const fo = c.object(f.filter, `${p}.filter`, ['bits', 'bitsPerToken']);
      filter = {
        bits: c.int(fo.bits, `${p}.filter.bits`, 16, 8192, 16),
        bitsPerToken: c.int(fo.bitsPerToken, `${p}.filter.bitsPerToken`, 1, 64),
      };
    }
    if (clkBitsPerToken === 0 && filter === null) c.fail(p, 'encodes nothing: give it clkBitsPerToken > 0 or a filter');
    const spec: FieldSpec = { name, normaliser, tokens, clkBitsPerToken, filter };
    fields.push(spec);
    byName.set(name, spec);
  });

  const blockingKeys: BlockingKeySpec[] = [];
  c.array(o.blockingKeys ?? [], 'blockingKeys', 16).forEach((bv, i) => {
    const p = `blockingKeys[${i}]`;
    const b = c.object(bv, p, ['name', 'parts']);
    const name = c.str(
      b.name,
      `${p}.name`,
      KEY_NAME,
      'a lower-case key name (letters, digits, + . _ -), at most 64 characters',
    );
    if (blockingKeys.some((k) => k.name === name)) c.fail(`${p}.name`, `"${name}" is listed twice`);
    const parts = c
      .array(b.parts, `${p}.parts`, 4)
      .map((pv, j) => parseKeyPart(c, pv, `${p}.parts[${j}]`, byName, true));
    if (parts.length === 0) c.fail(`${p}.parts`, 'must list at least one part');
    blockingKeys.push({ name, parts });
  });

  const hardening: HardeningSpec[] = [];
  c.array(o.hardening ?? [], 'hardening', 8).forEach((hv, i) => {
    const p = `hardening[${i}]`;
    const step = c.oneOf(c.object(hv, p, ['step', 'from', 'fields', 'probability']).step, `${p}.step`, [
      'salt',
      'balance',
      'xor-fold',
      'flip',
    ] as const);
    const h = c.object(
      hv,
      p,
      step === 'salt' ? ['step', 'from', 'fields'] : step === 'flip' ? ['step', 'probability', 'fields'] : ['step'],
    );
    const fieldList = (): string[] => {
      const names = c.array(h.fields, `${p}.fields`, 32).map((fv, j) => {
        const name = c.str(fv, `${p}.fields[${j}]`, FIELD_NAME, 'a field name');
        if (!byName.has(name)) c.fail(`${p}.fields[${j}]`, `names "${name}", which is not among the schema's fields`);
        return name;
      });
      if (names.length === 0) c.fail(`${p}.fields`, `must list at least one field to ${step}`);
      return names;
    };
    if (step === 'salt') {
      if (i !== 0)
        c.fail(p, 'salt must be the first hardening step: it acts when tokens are hashed, before the others');
      const from = parseKeyPart(c, h.from, `${p}.from`, byName, false);
      const salted = fieldList();
      salted.forEach(
        (name, j) =>
          name === from.field &&
          c.fail(`${p}.fields[${j}]`, `"${name}" is the salt's own source: salting it with itself adds nothing`),
      );
      hardening.push({ step, from: { field: from.field, transform: from.transform }, fields: salted });
    } else if (step === 'flip') {
      if (i !== c.array(o.hardening, 'hardening', 8).length - 1)
        c.fail(p, 'flip must be the last hardening step: it adds noise to the finished filter');
      const probability = h.probability;
      if (typeof probability !== 'number' || !(probability > 0 && probability <= 0.45))
        c.fail(`${p}.probability`, 'must be a number above 0 and at most 0.45');
      const flipped = fieldList();
      flipped.forEach(
        (name, j) =>
          byName.get(name)!.filter === null && c.fail(`${p}.fields[${j}]`, `"${name}" has no field filter to flip`),
      );
      hardening.push({ step, probability: probability as number, fields: flipped });
    } else {
      if (hardening.some((s) => s.step === step)) c.fail(p, `"${step}" is listed twice`);
      hardening.push({ step });
    }
  });

  // Every filter must still be whole bytes (and within the protocol's limits) after hardening.
  const check = (bits: number, path: string): void => {
    let n = bits;
    for (const h of hardening) {
      if (h.step === 'balance') n *= 2;
      if (h.step === 'xor-fold') {
        if (n % 16 !== 0) c.fail(path, `${n} bits cannot be folded into whole bytes`);
        n /= 2;
      }
    }
    if (n < 8 || n > 8192) c.fail(path, `is ${n} bits after hardening; it must be 8 to 8192`);
  };
  check(clkBits, 'clkBits');
  fields.forEach((f, i) => f.filter && check(f.filter.bits, `fields[${i}].filter.bits`));

  return {
    format: SCHEMA_FORMAT,
    formatVersion: SCHEMA_FORMAT_VERSION,
    id,
    version,
    ...(description !== undefined ? { description } : {}),
    clkBits,
    fields,
    blockingKeys,
    hardening,
  };
}

/** A built-in schema by name, or a schema file in our format. */
export function loadEncodingSchema(nameOrPath: string): EncodingSchema {
  const builtIn = BUILT_IN_SCHEMAS[nameOrPath];
  if (builtIn) return builtIn;
  if (!/[./\\]/.test(nameOrPath)) {
    throw new SchemaError(
      `unknown schema "${nameOrPath}": built in are ${Object.keys(BUILT_IN_SCHEMAS).join(', ')}; or give the path of a schema JSON file`,
    );
  }
  let text: string;
  try {
    text = readFileSync(nameOrPath, 'utf8');
  } catch (e) {
    throw new SchemaError(
      `cannot read schema file ${nameOrPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SchemaError(`schema file ${nameOrPath} is not JSON: ${(e as Error).message}`);
  }
  return parseEncodingSchema(json, nameOrPath);
}

/**
 * The schema as it applies to an input holding only the `present` fields: absent fields and blocking
 * keys that need an absent field are dropped. Hardening stays exactly as the schema says — a salt
 * whose source column is absent salts every row with the empty value — so that every agency using
 * the schema encodes each field the same way, whichever columns it holds.
 */
export function effectiveSchema(schema: EncodingSchema, present: readonly string[]): EncodingSchema {
  const has = (f: string): boolean => present.includes(f);
  const hardening: HardeningSpec[] = schema.hardening
    .filter((h) => !('fields' in h) || h.fields.some(has))
    .map((h) => ('fields' in h ? { ...h, fields: h.fields.filter(has) } : h));
  return {
    ...schema,
    fields: schema.fields.filter((f) => has(f.name)),
    blockingKeys: schema.blockingKeys.filter((k) => k.parts.every((p) => has(p.field))),
    hardening,
  };
}

/** Names of hardening steps as recorded in the encoded file's header, e.g. "salt:dob.year". */
export function hardeningNames(schema: EncodingSchema): string[] {
  return schema.hardening.map((h) =>
    h.step === 'salt'
      ? `salt:${h.from.field}.${h.from.transform}`
      : h.step === 'flip'
        ? `flip:${h.probability}:${h.fields.join('+')}`
        : h.step,
  );
}

/** The probability with which a field's filter bits are flipped per record (0: not flipped). */
export function flipProbability(schema: Pick<EncodingSchema, 'hardening'>, field: string): number {
  const h = schema.hardening.find((s) => s.step === 'flip');
  return h?.step === 'flip' && h.fields.includes(field) ? h.probability : 0;
}

/**
 * SHA-256 of the canonical JSON of the whole schema (description left out: it changes no bit), the
 * encoder version and a digest of the normalisers' tables: everything that changes encodings. The
 * whole schema, not the columns one agency holds: agencies with different columns but the same
 * schema and secret produce comparable encodings, and the broker links them.
 */
export function schemaFingerprint(schema: EncodingSchema): string {
  const { description: _ignored, ...rest } = schema;
  const covered = { schema: rest, encoder: ENCODER_VERSION, tables: NORMALISER_TABLES_DIGEST };
  return 'sha256:' + createHash('sha256').update(canonicalJson(covered)).digest('hex');
}

/** The normalisers' lookup tables change tokens too (a new nickname adds a variant token). */
const NORMALISER_TABLES_DIGEST = createHash('sha256')
  .update(canonicalJson({ names: NAME_VARIANT_GROUPS, address: ADDRESS_ABBREVIATIONS }))
  .digest('hex');
