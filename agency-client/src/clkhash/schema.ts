/**
 * clkhash linkage schema v3: types and a parser/validator with path-qualified error messages.
 *
 * Semantics follow clkhash 0.18.3 (not only its JSON schema), including its quirks:
 * - `clkConfig.xor_folds` is what clkhash reads; `xorFolds`, although documented by clkhash's JSON
 *   schema, is ignored by clkhash. We do the same and warn, so the CLKs stay identical.
 * - A feature with an `ignored` key is ignored whatever its value (clkhash tests key presence).
 */
import Type, { type Static } from 'typebox';
import { type Fail, Shape } from '../encode/shape-check.js';
import { compilePythonPattern } from './pattern.js';
import { compileStrptime, type StrptimeParser } from './strptime.js';

export type TextEncoding = 'ascii' | 'utf-8' | 'utf-16' | 'utf-32';
export type KdfHash = 'SHA256' | 'SHA512';

export type Comparison =
  | { type: 'ngram'; n: number; positional: boolean }
  | { type: 'exact' }
  | { type: 'numeric'; thresholdDistance: number; resolution: number; fractionalPrecision: number };

export type Strategy =
  | { type: 'bitsPerToken'; bitsPerToken: number }
  | { type: 'bitsPerFeature'; bitsPerFeature: number };

export type HashFunction = { type: 'blakeHash' } | { type: 'doubleHash'; preventSingularity: boolean };

export type FeatureFormat =
  | {
      type: 'string';
      pattern?: { source: string; regex: RegExp };
      case: 'upper' | 'lower' | 'mixed';
      minLength?: number;
      maxLength?: number;
    }
  | { type: 'integer'; minimum?: bigint; maximum?: bigint }
  | { type: 'date'; format: string; parser: StrptimeParser }
  | { type: 'enum'; values: ReadonlySet<string> };

export interface MissingValue {
  sentinel: string;
  replaceWith: string;
}

export interface HashedFeature {
  identifier: string;
  ignored: false;
  format: FeatureFormat;
  /** Encoding used to validate values and turn tokens into bytes (strings only; else utf-8). */
  encoding: TextEncoding;
  comparison: Comparison;
  strategy: Strategy;
  hash: HashFunction;
  missingValue?: MissingValue;
}

export interface IgnoredFeature {
  identifier: string;
  ignored: true;
}

export type Feature = HashedFeature | IgnoredFeature;

export interface KdfConfig {
  type: 'HKDF';
  hash: KdfHash;
  /** Undefined: RFC 5869 default (HashLen zero bytes). */
  salt?: Uint8Array;
  /** Undefined: empty. */
  info?: Uint8Array;
  keySize: number;
}

export interface ClkSchema {
  version: 3;
  /** CLK length in bits after folding. */
  l: number;
  xorFolds: number;
  kdf: KdfConfig;
  features: Feature[];
}

export class ClkSchemaError extends Error {
  constructor(path: string, problem: string) {
    super(`invalid clkhash schema at ${path}: ${problem}`);
    this.name = 'ClkSchemaError';
  }
}

/**
 * The schema's shape, declared with TypeBox (messages: encode/shape-check.ts). As lenient as
 * clkhash's own reader where it is (unknown properties at the top, in clkConfig, kdf, a feature,
 * a comparison and missingValue are ignored) and strict where it is (hashing, strategy, format).
 * Parts whose shape depends on a `type` are checked once the type is known.
 */
const safeInt = (minimum: number) => Type.Integer({ minimum, maximum: Number.MAX_SAFE_INTEGER });
const optionalText = Type.Optional(Type.String());

const RootShape = Type.Object({
  clkConfig: Type.Object({
    l: safeInt(1),
    xor_folds: Type.Optional(safeInt(0)),
    kdf: Type.Object({
      type: Type.Literal('HKDF', { hint: '"HKDF" (the only key derivation supported)' }),
      hash: Type.Optional(Type.Enum(['SHA256', 'SHA512'])),
      salt: optionalText,
      info: optionalText,
      keySize: Type.Optional(safeInt(1)),
    }),
  }),
  features: Type.Array(Type.Object({ identifier: Type.String() }), {
    minItems: 1,
    whenEmpty: 'expected at least one feature',
  }),
});

const HashingShape = Type.Object(
  {
    comparison: Type.Object({ type: Type.Enum(['ngram', 'exact', 'numeric']) }),
    strategy: Type.Object({}),
    hash: Type.Optional(
      Type.Object({
        type: Type.Enum(['blakeHash', 'doubleHash']),
        prevent_singularity: Type.Optional(Type.Boolean()),
      }),
    ),
    missingValue: Type.Optional(Type.Object({ sentinel: Type.String(), replaceWith: optionalText })),
  },
  { additionalProperties: false },
);

const NGRAM = new Shape(Type.Object({ n: safeInt(1), positional: Type.Optional(Type.Boolean()) }));
const NUMERIC = new Shape(
  Type.Object({
    thresholdDistance: Type.Number({ exclusiveMinimum: 0, hint: 'a number > 0' }),
    resolution: safeInt(1),
    // clkhash reads the snake_case key here (unlike the rest of the schema).
    fractional_precision: Type.Optional(safeInt(0)),
  }),
);
const BITS_PER_TOKEN = new Shape(Type.Object({ bitsPerToken: safeInt(1) }, { additionalProperties: false }));
const BITS_PER_FEATURE = new Shape(Type.Object({ bitsPerFeature: safeInt(1) }, { additionalProperties: false }));

const FORMAT_TYPE = new Shape(Type.Object({ type: Type.Enum(['string', 'integer', 'date', 'enum']) }));
const ENCODING = Type.Optional(Type.Enum(['ascii', 'utf-8', 'utf-16', 'utf-32']));
const strict = { additionalProperties: false } as const;
const FORMATS = {
  pattern: new Shape(
    Type.Object(
      { type: Type.Literal('string'), encoding: ENCODING, pattern: Type.String(), description: optionalText },
      strict,
    ),
  ),
  string: new Shape(
    Type.Object(
      {
        type: Type.Literal('string'),
        encoding: ENCODING,
        case: Type.Optional(Type.Enum(['upper', 'lower', 'mixed'])),
        minLength: Type.Optional(safeInt(0)),
        maxLength: Type.Optional(safeInt(1)),
        description: optionalText,
      },
      strict,
    ),
  ),
  integer: new Shape(
    Type.Object(
      {
        type: Type.Literal('integer'),
        minimum: Type.Optional(safeInt(Number.MIN_SAFE_INTEGER)),
        maximum: Type.Optional(safeInt(Number.MIN_SAFE_INTEGER)),
        description: optionalText,
      },
      strict,
    ),
  ),
  date: new Shape(
    Type.Object({ type: Type.Literal('date'), format: Type.String(), description: optionalText }, strict),
  ),
  enum: new Shape(
    Type.Object({ type: Type.Literal('enum'), values: Type.Array(Type.String()), description: optionalText }, strict),
  ),
};

const ROOT = new Shape(RootShape);
const HASHING = new Shape(HashingShape);

const fail: Fail = (path, problem) => {
  throw new ClkSchemaError(path, problem);
};

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function base64Bytes(v: string, path: string): Uint8Array {
  const s = v.replace(/\s+/g, '');
  if (!BASE64.test(s) || s.length % 4 !== 0) throw new ClkSchemaError(path, 'expected standard padded base64');
  return new Uint8Array(Buffer.from(s, 'base64'));
}

function parseKdf(o: Static<typeof RootShape>['clkConfig']['kdf'], path: string): KdfConfig {
  const kdf: KdfConfig = { type: 'HKDF', hash: o.hash ?? 'SHA256', keySize: o.keySize ?? 64 };
  if (o.salt !== undefined) kdf.salt = base64Bytes(o.salt, `${path}.salt`);
  if (o.info !== undefined) kdf.info = base64Bytes(o.info, `${path}.info`);
  return kdf;
}

function parseComparison(v: Static<typeof HashingShape>['comparison'], path: string): Comparison {
  switch (v.type) {
    case 'ngram': {
      const o = NGRAM.parse(v, path, fail);
      return { type: 'ngram', n: o.n, positional: o.positional === true };
    }
    case 'exact':
      return { type: 'exact' };
    case 'numeric': {
      const o = NUMERIC.parse(v, path, fail);
      if (!Number.isFinite(o.thresholdDistance))
        throw new ClkSchemaError(`${path}.thresholdDistance`, 'expected a number > 0');
      const fp = o.fractional_precision ?? 0;
      if (Math.round(o.thresholdDistance * 10 ** fp) === 0)
        throw new ClkSchemaError(path, 'not enough fractional_precision to encode thresholdDistance');
      return {
        type: 'numeric',
        thresholdDistance: o.thresholdDistance,
        resolution: o.resolution,
        fractionalPrecision: fp,
      };
    }
  }
}

function parseStrategy(o: object, path: string): Strategy {
  const hasT = 'bitsPerToken' in o,
    hasF = 'bitsPerFeature' in o;
  if (hasT === hasF) throw new ClkSchemaError(path, 'expected exactly one of bitsPerToken or bitsPerFeature');
  return hasT
    ? { type: 'bitsPerToken', bitsPerToken: BITS_PER_TOKEN.parse(o, path, fail).bitsPerToken }
    : { type: 'bitsPerFeature', bitsPerFeature: BITS_PER_FEATURE.parse(o, path, fail).bitsPerFeature };
}

function parseHash(o: Static<typeof HashingShape>['hash'], path: string): HashFunction {
  if (o === undefined) return { type: 'blakeHash' };
  const ps = o.prevent_singularity;
  if (o.type === 'doubleHash') return { type: 'doubleHash', preventSingularity: ps === true };
  if (ps !== undefined) throw new ClkSchemaError(`${path}.prevent_singularity`, 'only allowed with doubleHash');
  return { type: 'blakeHash' };
}

function parseFormat(v: unknown, path: string): { format: FeatureFormat; encoding: TextEncoding } {
  const type = FORMAT_TYPE.parse(v, path, fail).type;
  switch (type) {
    case 'string': {
      if ((v as { pattern?: unknown }).pattern !== undefined) {
        const o = FORMATS.pattern.parse(v, path, fail);
        let regex: RegExp;
        try {
          regex = compilePythonPattern(o.pattern);
        } catch (e) {
          throw new ClkSchemaError(`${path}.pattern`, `not a usable regular expression (${(e as Error).message})`);
        }
        const format: FeatureFormat = { type: 'string', pattern: { source: o.pattern, regex }, case: 'mixed' };
        return { format, encoding: o.encoding ?? 'utf-8' };
      }
      const o = FORMATS.string.parse(v, path, fail);
      const f: FeatureFormat = { type: 'string', case: o.case ?? 'mixed' };
      if (o.minLength !== undefined) f.minLength = o.minLength;
      if (o.maxLength !== undefined) f.maxLength = o.maxLength;
      return { format: f, encoding: o.encoding ?? 'utf-8' };
    }
    case 'integer': {
      const o = FORMATS.integer.parse(v, path, fail);
      const f: FeatureFormat = { type: 'integer' };
      if (o.minimum !== undefined) f.minimum = BigInt(o.minimum);
      if (o.maximum !== undefined) f.maximum = BigInt(o.maximum);
      return { format: f, encoding: 'utf-8' };
    }
    case 'date': {
      const o = FORMATS.date.parse(v, path, fail);
      let parser: StrptimeParser;
      try {
        parser = compileStrptime(o.format);
      } catch (e) {
        throw new ClkSchemaError(`${path}.format`, (e as Error).message);
      }
      return { format: { type: 'date', format: o.format, parser }, encoding: 'utf-8' };
    }
    case 'enum': {
      const o = FORMATS.enum.parse(v, path, fail);
      return { format: { type: 'enum', values: new Set(o.values) }, encoding: 'utf-8' };
    }
  }
}

function parseFeature(
  o: { identifier: string } & Record<string, unknown>,
  path: string,
  warn: (line: string) => void,
): Feature {
  const identifier = o.identifier;
  if ('ignored' in o) {
    if (o.ignored !== true) {
      warn(
        `clkhash schema ${path} ('${identifier}'): "ignored" is ${JSON.stringify(o.ignored)}; clkhash ` +
          `ignores any feature that has the key, so this one is ignored too`,
      );
    }
    return { identifier, ignored: true };
  }
  const { format, encoding } = parseFormat(o.format, `${path}.format`);
  const h = HASHING.parse(o.hashing, `${path}.hashing`, fail);
  const feature: HashedFeature = {
    identifier,
    ignored: false,
    format,
    encoding,
    comparison: parseComparison(h.comparison, `${path}.hashing.comparison`),
    strategy: parseStrategy(h.strategy, `${path}.hashing.strategy`),
    hash: parseHash(h.hash, `${path}.hashing.hash`),
  };
  if (h.missingValue !== undefined) {
    const { sentinel, replaceWith } = h.missingValue;
    feature.missingValue = { sentinel, replaceWith: replaceWith ?? sentinel };
  }
  return feature;
}

/**
 * Parses and validates a clkhash v3 linkage schema (already JSON-decoded).
 * Throws ClkSchemaError naming the offending path. `warn` receives non-fatal notices.
 */
export function parseClkSchema(json: unknown, warn: (line: string) => void = () => {}): ClkSchema {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new ClkSchemaError('$', 'expected an object');
  if ((json as { version?: unknown }).version !== 3) {
    throw new ClkSchemaError(
      '$.version',
      `only linkage schema version 3 is supported, got ${JSON.stringify((json as { version?: unknown }).version)}`,
    );
  }
  const root = ROOT.parse(json, '$', fail);
  const cfg = root.clkConfig;
  const l = cfg.l;
  const xorFolds = cfg.xor_folds ?? 0;
  if ('xorFolds' in cfg) {
    warn(
      `clkhash schema: clkConfig.xorFolds (${JSON.stringify(cfg.xorFolds)}) is ignored, ` +
        `as clkhash 0.18.3 ignores it; ` +
        `clkhash reads "xor_folds" (now ${xorFolds}). Rename the key if folding was intended.`,
    );
  }
  const kdf = parseKdf(cfg.kdf, '$.clkConfig.kdf');
  const features = root.features.map((f, i) => parseFeature(f, `$.features[${i}]`, warn));
  const hashL = l * 2 ** xorFolds;
  if (!Number.isSafeInteger(hashL) || hashL > 2 ** 31)
    throw new ClkSchemaError('$.clkConfig', 'l * 2^xor_folds is too large');
  features.forEach((f, i) => {
    if (f.ignored || f.hash.type !== 'blakeHash') return;
    if ((hashL & (hashL - 1)) !== 0) {
      throw new ClkSchemaError(
        `$.features[${i}].hashing.hash`,
        `blakeHash needs l * 2^xor_folds to be a power of two, got ${hashL}`,
      );
    }
    if (kdf.keySize > 64) throw new ClkSchemaError('$.clkConfig.kdf.keySize', 'blakeHash keys are at most 64 bytes');
  });
  const hkdfMax = 255 * (kdf.hash === 'SHA256' ? 32 : 64);
  if (2 * features.length * kdf.keySize > hkdfMax) {
    throw new ClkSchemaError(
      '$.clkConfig.kdf',
      `HKDF-${kdf.hash} cannot derive ${2 * features.length * kdf.keySize} bytes (max ${hkdfMax})`,
    );
  }
  return { version: 3, l, xorFolds, kdf, features };
}
