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
import Type, { type Static } from 'typebox';
import { type Fail, Shape } from './shape-check.js';
import { ADDRESS_ABBREVIATIONS, NAME_VARIANT_GROUPS, type NormalisedField } from '../normalise/index.js';

/**
 * Version of the encoding algorithm itself (tokenisers, hashing, hardening code). Bump it whenever
 * this code changes how a value becomes bits, so the fingerprint changes with it.
 */
export const ENCODER_VERSION = 'blindlink-encode/2';

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
    'UK person identifiers: names with variants, date of birth, sex, address, postcode, NHS number; names ' +
    'and date of birth flipped per record',
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

/**
 * uk-person with names also salted by year of birth: no name comparison across birth cohorts; needs a date of birth to
 * link on names.
 */
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
 * The format's shape, declared with TypeBox (messages from it: shape-check.ts, where `hint` and
 * `whenEmpty` are explained). Rules that span fields (a blocking key names a
 * declared field, salt comes first, …) are the small functions below the shapes.
 */
const FIELD_NAME = '^[a-z][a-z0-9_]{0,63}$';
const int = (minimum: number, maximum: number, multipleOf?: number) =>
  Type.Integer({ minimum, maximum, ...(multipleOf ? { multipleOf } : {}) });
const FieldRef = Type.String({ pattern: FIELD_NAME, hint: 'a field name' });
const FieldList = Type.Array(FieldRef, { maxItems: 32 });
const TransformShape = Type.Enum([...TRANSFORMS]);

const TokensShape = Type.Object(
  {
    kind: Type.Enum(Object.keys(TOKEN_KINDS_FOR) as TokenSpec['kind'][]),
    q: Type.Optional(int(1, 4)),
    parts: Type.Optional(Type.Boolean()),
    variants: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const FilterShape = Type.Object({ bits: int(16, 8192, 16), bitsPerToken: int(1, 64) }, { additionalProperties: false });

const FieldShape = Type.Object(
  {
    name: Type.String({
      pattern: FIELD_NAME,
      hint: 'a field name: lower case letter first, then letters, digits or _ (at most 64)',
    }),
    normaliser: Type.Optional(Type.Enum([...NORMALISERS])),
    tokens: TokensShape,
    clkBitsPerToken: int(0, 64),
    filter: Type.Optional(
      Type.Union([Type.Null(), FilterShape], { hint: 'null or an object with bits and bitsPerToken' }),
    ),
  },
  { additionalProperties: false },
);

const KeyPartShape = Type.Object(
  { field: FieldRef, transform: Type.Optional(TransformShape), alternatives: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);

const BlockingKeyShape = Type.Object(
  {
    name: Type.String({
      pattern: '^[a-z0-9][a-z0-9+._-]{0,63}$',
      hint: 'a lower-case key name (letters, digits, + . _ -), at most 64 characters',
    }),
    parts: Type.Array(KeyPartShape, { minItems: 1, maxItems: 4, whenEmpty: 'must list at least one part' }),
  },
  { additionalProperties: false },
);

const HARDENING_STEPS = ['salt', 'balance', 'xor-fold', 'flip'] as const;

/** Each step's own shape, checked once the step is known (the allowed properties depend on it). */
const SaltShape = Type.Object(
  {
    step: Type.Literal('salt'),
    from: Type.Object({ field: FieldRef, transform: Type.Optional(TransformShape) }, { additionalProperties: false }),
    fields: FieldList,
  },
  { additionalProperties: false },
);
const FlipShape = Type.Object(
  {
    step: Type.Literal('flip'),
    probability: Type.Number({ exclusiveMinimum: 0, maximum: 0.45, hint: 'a number above 0 and at most 0.45' }),
    fields: FieldList,
  },
  { additionalProperties: false },
);
const PlainStepShape = Type.Object({ step: Type.Enum(['balance', 'xor-fold']) }, { additionalProperties: false });

const SchemaShape = Type.Object(
  {
    $comment: Type.Optional(Type.Unknown()),
    format: Type.Literal(SCHEMA_FORMAT),
    formatVersion: Type.Literal(SCHEMA_FORMAT_VERSION),
    id: Type.String({
      pattern: '^[a-z0-9][a-z0-9._-]{0,127}$',
      hint: 'a lower-case name (letters, digits, . _ -), at most 128 characters',
    }),
    version: int(1, 1_000_000),
    description: Type.Optional(Type.String({ pattern: '^[^\\n]{0,500}$', hint: 'one line of at most 500 characters' })),
    clkBits: int(64, 8192, 16),
    fields: Type.Array(FieldShape, { minItems: 1, maxItems: 32, whenEmpty: 'must list at least one field' }),
    blockingKeys: Type.Optional(Type.Array(BlockingKeyShape, { maxItems: 16 })),
    hardening: Type.Optional(Type.Array(Type.Object({ step: Type.Enum([...HARDENING_STEPS]) }), { maxItems: 8 })),
  },
  { additionalProperties: false },
);

const SCHEMA = new Shape(SchemaShape);
const STEP_SHAPES = {
  salt: new Shape(SaltShape),
  flip: new Shape(FlipShape),
  balance: new Shape(PlainStepShape),
  'xor-fold': new Shape(PlainStepShape),
};

/**
 * Checks decoded JSON against the schema format and returns it with defaults filled in. Errors name
 * `source` and the JSON path of the offending value.
 */
export function parseEncodingSchema(json: unknown, source = 'schema'): EncodingSchema {
  const fail: Fail = (path, msg) => {
    throw new SchemaError(`${source}: ${path === '' ? '(top)' : path.replace(/^\./, '')}: ${msg}`);
  };
  checkFormat(json, fail);
  const o = SCHEMA.parse(json, '', fail);
  const fields = o.fields.map((f, i) => fieldSpec(f, `fields[${i}]`, fail));
  for (const [i, f] of fields.entries())
    if (fields.findIndex((g) => g.name === f.name) < i) fail(`fields[${i}].name`, `"${f.name}" is listed twice`);
  const byName = new Map(fields.map((f) => [f.name, f]));
  const blockingKeys = (o.blockingKeys ?? []).map((b, i) => {
    const p = `blockingKeys[${i}]`;
    if (o.blockingKeys!.findIndex((k) => k.name === b.name) < i) fail(`${p}.name`, `"${b.name}" is listed twice`);
    return { name: b.name, parts: b.parts.map((part, j) => keyPart(part, `${p}.parts[${j}]`, byName, fail)) };
  });
  const hardening = hardeningSteps(o.hardening ?? [], byName, fail);
  checkHardenedSize(o.clkBits, 'clkBits', hardening, fail);
  for (const [i, f] of fields.entries())
    if (f.filter) checkHardenedSize(f.filter.bits, `fields[${i}].filter.bits`, hardening, fail);
  return {
    format: SCHEMA_FORMAT,
    formatVersion: SCHEMA_FORMAT_VERSION,
    id: o.id,
    version: o.version,
    ...(o.description !== undefined ? { description: o.description } : {}),
    clkBits: o.clkBits,
    fields,
    blockingKeys,
    hardening,
  };
}

/** Format and version first, with a hint: the likeliest wrong file is a clkhash schema. */
function checkFormat(json: unknown, fail: Fail): void {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('(top)', 'must be an object');
  const { format, formatVersion } = json as { format?: unknown; formatVersion?: unknown };
  if (format !== SCHEMA_FORMAT)
    fail(
      'format',
      `must be "${SCHEMA_FORMAT}" (is ${JSON.stringify(format)}): is this a clkhash schema? use --format ` +
        `clkhash for those`,
    );
  if (formatVersion !== SCHEMA_FORMAT_VERSION)
    fail(
      'formatVersion',
      `must be ${SCHEMA_FORMAT_VERSION}; this client reads format version ${SCHEMA_FORMAT_VERSION} only`,
    );
}

function fieldSpec(f: Static<typeof FieldShape>, p: string, fail: Fail): FieldSpec {
  const normaliser = f.normaliser ?? (f.name as NormalisedField);
  if (!NORMALISERS.includes(normaliser)) fail(`${p}.normaliser`, `must be one of ${NORMALISERS.join(', ')}`);
  const filter = f.filter ? { bits: f.filter.bits, bitsPerToken: f.filter.bitsPerToken } : null;
  if (f.clkBitsPerToken === 0 && filter === null) fail(p, 'encodes nothing: give it clkBitsPerToken > 0 or a filter');
  return {
    name: f.name,
    normaliser,
    tokens: tokenSpec(f.tokens, `${p}.tokens`, normaliser, fail),
    clkBitsPerToken: f.clkBitsPerToken,
    filter,
  };
}

/** The token kind must suit the normaliser, and only its own options may be given. */
function tokenSpec(t: Static<typeof TokensShape>, path: string, normaliser: NormalisedField, fail: Fail): TokenSpec {
  const fits = TOKEN_KINDS_FOR[t.kind];
  if (fits !== 'any' && !fits.includes(normaliser))
    fail(`${path}.kind`, `"${t.kind}" tokens need the ${fits.join(' or ')} normaliser, not ${normaliser}`);
  const unused = (keys: ('q' | 'parts' | 'variants')[]): void => {
    for (const k of keys) if (t[k] !== undefined) fail(`${path}.${k}`, `is not used by "${t.kind}" tokens`);
  };
  switch (t.kind) {
    case 'name':
      return { kind: t.kind, q: t.q ?? 2, parts: t.parts ?? true, variants: t.variants ?? true };
    case 'postcode':
    case 'address':
    case 'qgrams':
      unused(['parts', 'variants']);
      return { kind: t.kind, q: t.q ?? 2 };
    case 'date':
    case 'exact':
      unused(['q', 'parts', 'variants']);
      return { kind: t.kind };
  }
}

/** A blocking-key part or a salt's source: a declared field and a transform its normaliser supports. */
function keyPart(
  part: { field: string; transform?: Transform; alternatives?: boolean },
  path: string,
  fields: Map<string, FieldSpec>,
  fail: Fail,
): KeyPart {
  const spec = fields.get(part.field);
  if (!spec) return fail(`${path}.field`, `names "${part.field}", which is not among the schema's fields`);
  const transform = part.transform ?? 'value';
  const usable = TRANSFORMS_FOR[spec.normaliser];
  if (!usable.includes(transform))
    fail(`${path}.transform`, `"${transform}" does not apply to a ${spec.normaliser} field (use ${usable.join(', ')})`);
  const alternatives = part.alternatives ?? false;
  if (alternatives && spec.normaliser !== 'given_name' && spec.normaliser !== 'surname')
    fail(`${path}.alternatives`, 'only name fields have alternatives (parts and variants)');
  return { field: part.field, transform, alternatives };
}

/** Each step against its own shape, then the order rules: salt first, flip last, others once. */
function hardeningSteps(
  raw: readonly { step: (typeof HARDENING_STEPS)[number] }[],
  fields: Map<string, FieldSpec>,
  fail: Fail,
): HardeningSpec[] {
  const steps: HardeningSpec[] = [];
  raw.forEach((hv, i) => {
    const p = `hardening[${i}]`;
    if (hv.step === 'salt') {
      const h = STEP_SHAPES.salt.parse(hv, p, fail);
      if (i !== 0) fail(p, 'salt must be the first hardening step: it acts when tokens are hashed, before the others');
      const from = keyPart(h.from, `${p}.from`, fields, fail);
      const salted = fieldList(h.fields, p, 'salt', fields, fail);
      for (const [j, name] of salted.entries())
        if (name === from.field)
          fail(`${p}.fields[${j}]`, `"${name}" is the salt's own source: salting it with itself adds nothing`);
      steps.push({ step: 'salt', from: { field: from.field, transform: from.transform }, fields: salted });
    } else if (hv.step === 'flip') {
      const h = STEP_SHAPES.flip.parse(hv, p, fail);
      if (i !== raw.length - 1) fail(p, 'flip must be the last hardening step: it adds noise to the finished filter');
      const flipped = fieldList(h.fields, p, 'flip', fields, fail);
      for (const [j, name] of flipped.entries())
        if (fields.get(name)!.filter === null) fail(`${p}.fields[${j}]`, `"${name}" has no field filter to flip`);
      steps.push({ step: 'flip', probability: h.probability, fields: flipped });
    } else {
      const { step } = STEP_SHAPES[hv.step].parse(hv, p, fail);
      if (steps.some((s) => s.step === step)) fail(p, `"${step}" is listed twice`);
      steps.push({ step });
    }
  });
  return steps;
}

/** The fields a salt or flip step applies to: at least one, each declared. */
function fieldList(names: string[], p: string, step: string, fields: Map<string, FieldSpec>, fail: Fail): string[] {
  for (const [j, name] of names.entries())
    if (!fields.has(name)) fail(`${p}.fields[${j}]`, `names "${name}", which is not among the schema's fields`);
  if (names.length === 0) fail(`${p}.fields`, `must list at least one field to ${step}`);
  return names;
}

/** Every filter must still be whole bytes (and within the protocol's limits) after hardening. */
function checkHardenedSize(bits: number, path: string, hardening: readonly HardeningSpec[], fail: Fail): void {
  let n = bits;
  for (const h of hardening) {
    if (h.step === 'balance') n *= 2;
    if (h.step === 'xor-fold') {
      if (n % 16 !== 0) fail(path, `${n} bits cannot be folded into whole bytes`);
      n /= 2;
    }
  }
  if (n < 8 || n > 8192) fail(path, `is ${n} bits after hardening; it must be 8 to 8192`);
}

/** A built-in schema by name, or a schema file in our format. */
export function loadEncodingSchema(nameOrPath: string): EncodingSchema {
  const builtIn = BUILT_IN_SCHEMAS[nameOrPath];
  if (builtIn) return builtIn;
  if (!/[./\\]/.test(nameOrPath)) {
    throw new SchemaError(
      `unknown schema "${nameOrPath}": built in are ${Object.keys(BUILT_IN_SCHEMAS).join(', ')}; or give ` +
        `the path of a schema JSON file`,
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
