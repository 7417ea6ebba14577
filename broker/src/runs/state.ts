/**
 * The stored form of what an incremental run continues from (table run_state): the model as JSON
 * text — it holds typed arrays and must come back bit for bit, so that new pairs are weighed and
 * blocked exactly as the fitting run did its own — and the scored pairs it carries (those at or above
 * the threshold and those the residual pass weighs) as one compact binary column, `links`.
 * Pure encode/decode; runs.ts does the I/O.
 */
import type { Population, ScoredPairs } from '../linkage/entities/index.js';
import type { StoredModel } from '../linkage/engine-incremental.js';

/** Bumped whenever the stored form or its meaning changes: an older state then means a full run. */
export const RUN_STATE_FORMAT = 2;

/** What must be the same for a run to continue the previous one; stored with the state. */
export interface RunSettings {
  format: number;
  policyId: string;
  policyVersion: number;
  schemaFingerprint: string;
  /** The policy's linkage threshold (record-level Dice when the run scores by Dice). */
  threshold: number;
  /**
   * Per source its duplicate-free flag and declared population. The population is left out when
   * undeclared, and states stored before populations existed have none: both read as undeclared.
   */
  sources: { name: string; duplicateFree: boolean; population?: Population }[];
}

/** Why a run with `now` settings cannot continue one made with `then` (null when it can). */
export function settingsChange(then: RunSettings, now: RunSettings): string | null {
  if (then.format !== now.format)
    return `the stored state is in format ${then.format}, this broker writes ${now.format}`;
  if (then.policyId !== now.policyId || then.policyVersion !== now.policyVersion)
    return `the policy changed (${then.policyId} v${then.policyVersion} → ${now.policyId} v${now.policyVersion})`;
  if (then.schemaFingerprint !== now.schemaFingerprint) return 'the encoding schema changed';
  if (then.threshold !== now.threshold) return `the linkage threshold changed (${then.threshold} → ${now.threshold})`;
  const names = (s: RunSettings) =>
    s.sources
      .map((x) => {
        const declared = [
          ...(x.duplicateFree ? ['duplicate-free'] : []),
          ...(x.population ? [`${x.population} only`] : []),
        ];
        return `${x.name}${declared.length ? ` (${declared.join(', ')})` : ''}`;
      })
      .join(', ');
  if (names(then) !== names(now)) return `the contributing sources changed (${names(then)} → ${names(now)})`;
  return null;
}

const TYPED = { Uint8Array, Uint16Array, Uint32Array, Int32Array, Float32Array, Float64Array } as const;
type TypedName = keyof typeof TYPED;

/** JSON with typed arrays as base64 and non-finite numbers spelled out, so that it round-trips exactly. */
export function encodeTyped(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      const name = v.constructor.name;
      if (!(name in TYPED)) throw new Error(`cannot store a ${name}`);
      return { $typed: name, base64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
    }
    if (typeof v === 'number' && !Number.isFinite(v)) return { $number: String(v) };
    return v;
  });
}

export function decodeTyped(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v && typeof v === 'object' && '$typed' in v) {
      const { $typed, base64 } = v as { $typed: string; base64: string };
      if (!($typed in TYPED)) throw new Error(`stored model: unknown array type ${$typed}`);
      const bytes = Buffer.from(base64, 'base64');
      // Copy to a fresh buffer: typed arrays need their element alignment.
      return new TYPED[$typed as TypedName](new Uint8Array(bytes).buffer);
    }
    if (v && typeof v === 'object' && '$number' in v) return Number((v as { $number: string }).$number);
    return v;
  });
}

/** The model as encodeTyped writes it: typed arrays must come back bit for bit. */
export function encodeModel(model: StoredModel): string {
  return encodeTyped(model);
}

export function decodeModel(text: string): StoredModel {
  const s = decodeTyped(text) as StoredModel;
  if (
    (s.mode !== 'fellegi-sunter' && s.mode !== 'dice') ||
    typeof s.threshold !== 'number' ||
    !Array.isArray(s.fields) ||
    !Array.isArray(s.blocking) ||
    typeof s.fittedIn !== 'string'
  ) {
    throw new Error('stored model: not a model record');
  }
  if (s.mode === 'fellegi-sunter' && !s.fellegiSunter)
    throw new Error('stored model: Fellegi–Sunter scoring without its parameters');
  return s;
}

const MAGIC = 0x4b4e4c42; // "BLNK"

/** Scored pairs as [magic, count, a[count], b[count]] u32 then weight[count] f32, little-endian. */
export function encodePairs(pairs: ScoredPairs): Buffer {
  const n = pairs.a.length;
  const out = Buffer.alloc(8 + 12 * n);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(n, 4);
  const le = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let k = 0; k < n; k++) {
    le.setUint32(8 + 4 * k, pairs.a[k]!, true);
    le.setUint32(8 + 4 * (n + k), pairs.b[k]!, true);
    le.setFloat32(8 + 4 * (2 * n + k), pairs.weight[k]!, true);
  }
  return out;
}

export function decodePairs(bytes: Uint8Array): ScoredPairs {
  const le = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 8 || le.getUint32(0, true) !== MAGIC) throw new Error('stored pairs: not a pairs record');
  const n = le.getUint32(4, true);
  if (bytes.byteLength !== 8 + 12 * n) throw new Error(`stored pairs: ${bytes.byteLength} bytes for ${n} pairs`);
  const out: ScoredPairs = { a: new Uint32Array(n), b: new Uint32Array(n), weight: new Float32Array(n) };
  for (let k = 0; k < n; k++) {
    out.a[k] = le.getUint32(8 + 4 * k, true);
    out.b[k] = le.getUint32(8 + 4 * (n + k), true);
    out.weight[k] = le.getFloat32(8 + 4 * (2 * n + k), true);
  }
  return out;
}
