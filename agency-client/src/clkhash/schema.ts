/**
 * clkhash linkage schema v3: types and a parser/validator with path-qualified error messages.
 *
 * Semantics follow clkhash 0.18.3 (not only its JSON schema), including its quirks:
 * - `clkConfig.xor_folds` is what clkhash reads; `xorFolds`, although documented by clkhash's JSON
 *   schema, is ignored by clkhash. We do the same and warn, so the CLKs stay identical.
 * - A feature with an `ignored` key is ignored whatever its value (clkhash tests key presence).
 */
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

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(v: unknown, path: string): Obj {
  if (!isObj(v)) throw new ClkSchemaError(path, 'expected an object');
  return v;
}

function int(v: unknown, path: string, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new ClkSchemaError(path, 'expected an integer');
  if (v < min) throw new ClkSchemaError(path, `must be at least ${min}, got ${v}`);
  return v;
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string') throw new ClkSchemaError(path, 'expected a string');
  return v;
}

function onlyKeys(o: Obj, allowed: readonly string[], path: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k))
      throw new ClkSchemaError(`${path}.${k}`, `unknown property (allowed: ${allowed.join(', ')})`);
  }
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function base64Bytes(v: unknown, path: string): Uint8Array {
  const s = str(v, path).replace(/\s+/g, '');
  if (!BASE64.test(s) || s.length % 4 !== 0) throw new ClkSchemaError(path, 'expected standard padded base64');
  return new Uint8Array(Buffer.from(s, 'base64'));
}

function parseKdf(v: unknown, path: string): KdfConfig {
  const o = obj(v, path);
  if (o.type !== 'HKDF')
    throw new ClkSchemaError(`${path}.type`, `only "HKDF" is supported, got ${JSON.stringify(o.type)}`);
  const hash = o.hash ?? 'SHA256';
  if (hash !== 'SHA256' && hash !== 'SHA512') throw new ClkSchemaError(`${path}.hash`, 'must be "SHA256" or "SHA512"');
  const kdf: KdfConfig = {
    type: 'HKDF',
    hash,
    keySize: o.keySize === undefined ? 64 : int(o.keySize, `${path}.keySize`, 1),
  };
  if (o.salt !== undefined) kdf.salt = base64Bytes(o.salt, `${path}.salt`);
  if (o.info !== undefined) kdf.info = base64Bytes(o.info, `${path}.info`);
  return kdf;
}

function parseComparison(v: unknown, path: string): Comparison {
  const o = obj(v, path);
  switch (o.type) {
    case 'ngram': {
      if (o.positional !== undefined && typeof o.positional !== 'boolean')
        throw new ClkSchemaError(`${path}.positional`, 'expected a boolean');
      return { type: 'ngram', n: int(o.n, `${path}.n`, 1), positional: o.positional === true };
    }
    case 'exact':
      return { type: 'exact' };
    case 'numeric': {
      const td = o.thresholdDistance;
      if (typeof td !== 'number' || !Number.isFinite(td) || !(td > 0))
        throw new ClkSchemaError(`${path}.thresholdDistance`, 'expected a number > 0');
      const resolution = int(o.resolution, `${path}.resolution`, 1);
      // clkhash reads the snake_case key here (unlike the rest of the schema).
      const fp =
        o.fractional_precision === undefined ? 0 : int(o.fractional_precision, `${path}.fractional_precision`, 0);
      if (Math.round(td * 10 ** fp) === 0)
        throw new ClkSchemaError(path, 'not enough fractional_precision to encode thresholdDistance');
      return { type: 'numeric', thresholdDistance: td, resolution, fractionalPrecision: fp };
    }
    default:
      throw new ClkSchemaError(`${path}.type`, `expected "ngram", "exact" or "numeric", got ${JSON.stringify(o.type)}`);
  }
}

function parseStrategy(v: unknown, path: string): Strategy {
  const o = obj(v, path);
  const hasT = 'bitsPerToken' in o,
    hasF = 'bitsPerFeature' in o;
  if (hasT === hasF) throw new ClkSchemaError(path, 'expected exactly one of bitsPerToken or bitsPerFeature');
  onlyKeys(o, hasT ? ['bitsPerToken'] : ['bitsPerFeature'], path);
  return hasT
    ? { type: 'bitsPerToken', bitsPerToken: int(o.bitsPerToken, `${path}.bitsPerToken`, 1) }
    : { type: 'bitsPerFeature', bitsPerFeature: int(o.bitsPerFeature, `${path}.bitsPerFeature`, 1) };
}

function parseHash(v: unknown, path: string): HashFunction {
  if (v === undefined) return { type: 'blakeHash' };
  const o = obj(v, path);
  const ps = o.prevent_singularity;
  if (ps !== undefined && typeof ps !== 'boolean')
    throw new ClkSchemaError(`${path}.prevent_singularity`, 'expected a boolean');
  if (o.type === 'blakeHash') {
    if (ps !== undefined) throw new ClkSchemaError(`${path}.prevent_singularity`, 'only allowed with doubleHash');
    return { type: 'blakeHash' };
  }
  if (o.type === 'doubleHash') return { type: 'doubleHash', preventSingularity: ps === true };
  throw new ClkSchemaError(`${path}.type`, `expected "blakeHash" or "doubleHash", got ${JSON.stringify(o.type)}`);
}

function parseFormat(v: unknown, path: string): { format: FeatureFormat; encoding: TextEncoding } {
  const o = obj(v, path);
  const description = o.description;
  if (description !== undefined) str(description, `${path}.description`);
  switch (o.type) {
    case 'string': {
      let encoding: TextEncoding = 'utf-8';
      if (o.encoding !== undefined) {
        if (o.encoding !== 'ascii' && o.encoding !== 'utf-8' && o.encoding !== 'utf-16' && o.encoding !== 'utf-32') {
          throw new ClkSchemaError(`${path}.encoding`, 'must be one of "ascii", "utf-8", "utf-16", "utf-32"');
        }
        encoding = o.encoding;
      }
      if (o.pattern !== undefined) {
        onlyKeys(o, ['type', 'encoding', 'pattern', 'description'], path);
        const source = str(o.pattern, `${path}.pattern`);
        let regex: RegExp;
        try {
          regex = compilePythonPattern(source);
        } catch (e) {
          throw new ClkSchemaError(`${path}.pattern`, `not a usable regular expression (${(e as Error).message})`);
        }
        return { format: { type: 'string', pattern: { source, regex }, case: 'mixed' }, encoding };
      }
      onlyKeys(o, ['type', 'encoding', 'case', 'minLength', 'maxLength', 'description'], path);
      const c = o.case ?? 'mixed';
      if (c !== 'upper' && c !== 'lower' && c !== 'mixed')
        throw new ClkSchemaError(`${path}.case`, 'must be "upper", "lower" or "mixed"');
      const f: FeatureFormat = { type: 'string', case: c };
      if (o.minLength !== undefined) f.minLength = int(o.minLength, `${path}.minLength`, 0);
      if (o.maxLength !== undefined) f.maxLength = int(o.maxLength, `${path}.maxLength`, 1);
      return { format: f, encoding };
    }
    case 'integer': {
      onlyKeys(o, ['type', 'minimum', 'maximum', 'description'], path);
      const f: FeatureFormat = { type: 'integer' };
      if (o.minimum !== undefined) f.minimum = BigInt(int(o.minimum, `${path}.minimum`, Number.MIN_SAFE_INTEGER));
      if (o.maximum !== undefined) f.maximum = BigInt(int(o.maximum, `${path}.maximum`, Number.MIN_SAFE_INTEGER));
      return { format: f, encoding: 'utf-8' };
    }
    case 'date': {
      onlyKeys(o, ['type', 'format', 'description'], path);
      const format = str(o.format, `${path}.format`);
      let parser: StrptimeParser;
      try {
        parser = compileStrptime(format);
      } catch (e) {
        throw new ClkSchemaError(`${path}.format`, (e as Error).message);
      }
      return { format: { type: 'date', format, parser }, encoding: 'utf-8' };
    }
    case 'enum': {
      onlyKeys(o, ['type', 'values', 'description'], path);
      if (!Array.isArray(o.values)) throw new ClkSchemaError(`${path}.values`, 'expected an array of strings');
      const values = o.values.map((x, i) => str(x, `${path}.values[${i}]`));
      return { format: { type: 'enum', values: new Set(values) }, encoding: 'utf-8' };
    }
    default:
      throw new ClkSchemaError(
        `${path}.type`,
        `expected "string", "integer", "date" or "enum", got ${JSON.stringify(o.type)}`,
      );
  }
}

function parseFeature(v: unknown, path: string, warn: (line: string) => void): Feature {
  const o = obj(v, path);
  const identifier = str(o.identifier, `${path}.identifier`);
  if ('ignored' in o) {
    if (o.ignored !== true) {
      warn(
        `clkhash schema ${path} ('${identifier}'): "ignored" is ${JSON.stringify(o.ignored)}; clkhash ignores any feature that has the key, so this one is ignored too`,
      );
    }
    return { identifier, ignored: true };
  }
  const { format, encoding } = parseFormat(o.format, `${path}.format`);
  const h = obj(o.hashing, `${path}.hashing`);
  onlyKeys(h, ['comparison', 'strategy', 'hash', 'missingValue'], `${path}.hashing`);
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
    const mv = obj(h.missingValue, `${path}.hashing.missingValue`);
    const sentinel = str(mv.sentinel, `${path}.hashing.missingValue.sentinel`);
    const replaceWith =
      mv.replaceWith === undefined ? sentinel : str(mv.replaceWith, `${path}.hashing.missingValue.replaceWith`);
    feature.missingValue = { sentinel, replaceWith };
  }
  return feature;
}

/**
 * Parses and validates a clkhash v3 linkage schema (already JSON-decoded).
 * Throws ClkSchemaError naming the offending path. `warn` receives non-fatal notices.
 */
export function parseClkSchema(json: unknown, warn: (line: string) => void = () => {}): ClkSchema {
  const root = obj(json, '$');
  if (root.version !== 3) {
    throw new ClkSchemaError(
      '$.version',
      `only linkage schema version 3 is supported, got ${JSON.stringify(root.version)}`,
    );
  }
  const cfg = obj(root.clkConfig, '$.clkConfig');
  const l = int(cfg.l, '$.clkConfig.l', 1);
  const xorFolds = cfg.xor_folds === undefined ? 0 : int(cfg.xor_folds, '$.clkConfig.xor_folds', 0);
  if ('xorFolds' in cfg) {
    warn(
      `clkhash schema: clkConfig.xorFolds (${JSON.stringify(cfg.xorFolds)}) is ignored, as clkhash 0.18.3 ignores it; ` +
        `clkhash reads "xor_folds" (now ${xorFolds}). Rename the key if folding was intended.`,
    );
  }
  const kdf = parseKdf(cfg.kdf, '$.clkConfig.kdf');
  if (!Array.isArray(root.features)) throw new ClkSchemaError('$.features', 'expected an array');
  const features = root.features.map((f, i) => parseFeature(f, `$.features[${i}]`, warn));
  if (features.length === 0) throw new ClkSchemaError('$.features', 'expected at least one feature');
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
