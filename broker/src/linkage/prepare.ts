import { createHash } from 'node:crypto';
import type { EngineSource } from './types.js';
import { NONE } from './entities/index.js';
import { candidatesAbove, FilterSet } from './kernel/index.js';
import { preparedCache, type SourceColumns } from './prepared-cache.js';
import type { FieldColumn } from './scoring/field-column.js';
import { fieldDice } from './scoring/field-dice.js';

/**
 * The engine's view of its input: global record numbering, packed filters, the fields every source
 * can be compared on, what a keyed encoding lets the broker group on (an address, a name) without
 * reading it, and per-field Dice of record pairs. Pure: no I/O.
 */

/** One field's filters for a source, as a FilterSet (absent → all zero) plus a presence bitmap. */
function fieldSet(src: EngineSource, fieldIndex: number): FieldColumn {
  const spec = src.fieldSpecs[fieldIndex]!;
  const n = src.tokens.length;
  const set = new FilterSet(spec.bits, n);
  const present = new Uint8Array(n);
  const empty = new Uint8Array(spec.bits / 8);
  for (let r = 0; r < n; r++) {
    const mask = src.fieldMasks[r]!;
    if (!(mask & (1 << fieldIndex)) || !src.fields[r]) {
      set.set(r, empty);
      continue;
    }
    // Offset of this field: the sizes of the present fields packed before it.
    let at = 0;
    for (let k = 0; k < fieldIndex; k++) if (mask & (1 << k)) at += src.fieldSpecs[k]!.bits / 8;
    set.set(r, src.fields[r]!.subarray(at, at + spec.bits / 8));
    present[r] = 1;
  }
  return { set, present, ...(spec.flip ? { flip: spec.flip } : {}) };
}

/** Fields every source can be compared on, and which of them are personal. */
export function checkCompatible(sources: Pick<EngineSource, 'name' | 'clkBits' | 'fieldSpecs'>[]): Compatible {
  const first = sources[0]!;
  for (const s of sources) {
    if (s.clkBits !== first.clkBits)
      throw new Error(
        `source ${s.name} has ${s.clkBits}-bit CLKs, ${first.name} ${first.clkBits}: encode every source ` +
          `with the same schema`,
      );
  }
  // Fields every source can be compared on: the same name and size everywhere it appears.
  const bits = new Map<string, number>();
  const flips = new Map<string, number>();
  const personal = new Set<string>();
  for (const s of sources) {
    for (const f of s.fieldSpecs) {
      const seen = bits.get(f.field);
      if (seen !== undefined && seen !== f.bits)
        throw new Error(`field ${f.field} has ${f.bits}-bit filters in ${s.name} but ${seen} elsewhere`);
      const flip = f.flip ?? 0;
      const seenFlip = flips.get(f.field);
      if (seenFlip !== undefined && seenFlip !== flip)
        throw new Error(
          `field ${f.field} is flipped with probability ${flip} in ${s.name} but ${seenFlip} elsewhere: ` +
            `encode every source with the same schema`,
        );
      bits.set(f.field, f.bits);
      flips.set(f.field, flip);
      if (f.personal) personal.add(f.field);
    }
  }
  return { names: [...bits.keys()], personal };
}

/** Fields whose agreement puts two records at one address (the household test and grouping use them). */
export const ADDRESS_FIELDS = ['address', 'postcode'];

/** The fields every source of a run can be compared on, and which of them are personal. */
export interface Compatible {
  names: string[];
  personal: Set<string>;
}

export interface PreparedSources {
  compatible: Compatible;
  fieldNames: string[];
  /** Global index of each source's first record (sources concatenated in input order). */
  offsets: number[];
  total: number;
  sourceOf: Uint16Array;
  clkSets: FilterSet[];
  fieldSets: (FieldColumn | null)[][];
  /** Per source and record: the agencies' keyed blocking tokens, then the broker's name key (16 bytes each). */
  blocks: (Uint8Array | null)[][];
  /**
   * Per global record: a dense id of its exact postcode filter, and of its exact postcode and
   * address filters together (NONE without them). A keyed encoding is deterministic, so equal
   * bytes mean an equal normalised value: one postcode, one address.
   */
  postcodeBlock: Uint32Array;
  addressToken: Uint32Array;
  /** Without at least two comparable fields the record-level CLK is all there is to score. */
  clkMode: boolean;
}

/**
 * The engine's view of `sources`. `fields`: the fields of the whole run, when `sources` are only some
 * of its sources (a job blocking one pair of them): they are compared on what every source shares.
 */
export function prepareSources(
  sources: EngineSource[],
  opts: { clkOnly?: boolean },
  fields?: Compatible,
): PreparedSources {
  const columns = prepareColumns(sources, opts, fields);
  const { fieldNames, fieldSets } = columns;
  const offsets: number[] = [];
  let total = 0;
  for (const s of sources) {
    offsets.push(total);
    total += s.tokens.length;
  }
  const sourceOf = new Uint16Array(total);
  sources.forEach((s, i) => {
    sourceOf.fill(i, offsets[i]!, offsets[i]! + s.tokens.length);
  });
  const { postcodeBlock, addressToken } = addressKeys(fieldNames, fieldSets, offsets, total);
  return { ...columns, offsets, total, sourceOf, postcodeBlock, addressToken };
}

/** What blocking and similarities read of PreparedSources: each source's own columns. */
export type PreparedColumns = Pick<
  PreparedSources,
  'compatible' | 'fieldNames' | 'clkSets' | 'fieldSets' | 'blocks' | 'clkMode'
>;

/**
 * Each source's columns, without what ties the sources together (record numbering, address keys):
 * all a partition needs. A source with a `version` is prepared once and kept for the calls after
 * (prepared-cache.ts).
 */
export function prepareColumns(
  sources: EngineSource[],
  opts: { clkOnly?: boolean },
  fields?: Compatible,
): PreparedColumns {
  if (sources.length === 0) throw new Error('nothing to link');
  if (sources.length > 65535) throw new Error('too many sources');
  const compatible = opts.clkOnly ? { names: [], personal: new Set<string>() } : (fields ?? checkCompatible(sources));
  const fieldNames = compatible.names;
  const fieldsKey = JSON.stringify(fieldNames);
  const columns = sources.map((s) =>
    s.version === undefined
      ? sourceColumns(s, fieldNames)
      : preparedCache.columns(`${s.version}|${fieldsKey}`, () => sourceColumns(s, fieldNames)),
  );
  return {
    compatible,
    fieldNames,
    clkSets: columns.map((c) => c.clkSet),
    fieldSets: columns.map((c) => c.fieldSets),
    blocks: columns.map((c) => c.blocks),
    clkMode: fieldNames.length < 2,
  };
}

/** One source's packed CLKs, its filters of `fieldNames` and its blocking tokens with the name key. */
function sourceColumns(s: EngineSource, fieldNames: string[]): SourceColumns {
  const fieldSets = fieldNames.map((name) => {
    const k = s.fieldSpecs.findIndex((f) => f.field === name);
    return k < 0 ? null : fieldSet(s, k);
  });
  return {
    clkSet: FilterSet.fromBytes(s.clkBits, s.clks),
    fieldSets,
    blocks: withNameKeys(s.blocks, fieldNames, fieldSets),
  };
}

function addressKeys(
  fieldNames: string[],
  fieldSets: (FieldColumn | null)[][],
  offsets: number[],
  total: number,
): { postcodeBlock: Uint32Array; addressToken: Uint32Array } {
  const postcodeBlock = new Uint32Array(total).fill(NONE);
  const addressToken = new Uint32Array(total).fill(NONE);
  const pc = fieldNames.indexOf('postcode');
  const ad = fieldNames.indexOf('address');
  if (pc < 0) return { postcodeBlock, addressToken };
  const blockIds = new Map<string, number>();
  const tokenIds = new Map<string, number>();
  fieldSets.forEach((columns, i) => {
    const p = columns[pc];
    const a = ad >= 0 && !columns[ad]?.flip ? columns[ad] : null;
    // Flipped filters of one value are not equal: no address key can be read from them.
    if (!p || p.flip) return;
    for (let r = 0; r < p.present.length; r++) {
      if (!p.present[r]) continue;
      const key = Buffer.from(p.set.get(r)).toString('latin1');
      let id = blockIds.get(key);
      if (id === undefined) {
        id = blockIds.size;
        blockIds.set(key, id);
      }
      postcodeBlock[offsets[i]! + r] = id;
      if (a?.present[r]) {
        const tk = key + Buffer.from(a.set.get(r)).toString('latin1');
        let tid = tokenIds.get(tk);
        if (tid === undefined) {
          tid = tokenIds.size;
          tokenIds.set(tk, tid);
        }
        addressToken[offsets[i]! + r] = tid;
      }
    }
  });
  return { postcodeBlock, addressToken };
}

/** Fields whose exact filters together form the broker's name key. */
export const NAME_KEY_FIELDS = ['given_name', 'surname'];

/**
 * The agencies' blocking tokens plus one the broker derives: a digest of the exact given-name and
 * surname filters. Without it a record with no date of birth and no sex (most council-tax rows)
 * carries no keyed token at all, and a person whose two addresses differ (a move one system has
 * not caught up with) is never proposed. It reveals nothing new: equal filters are visibly equal.
 */
function withNameKeys(
  blocks: (Uint8Array | null)[],
  fieldNames: string[],
  columns: (FieldColumn | null)[],
): (Uint8Array | null)[] {
  const cols = NAME_KEY_FIELDS.map((f) => fieldNames.indexOf(f)).map((k) => (k < 0 ? null : columns[k]!));
  // Flipped name filters of one name are not equal, so the key would propose nothing.
  if (cols.some((c) => !c || c.flip)) return blocks;
  return blocks.map((own, r) => {
    if (!cols.every((c) => c!.present[r])) return own;
    const h = createHash('sha256').update('blindlink name key\0');
    for (const c of cols) h.update(c!.set.get(r));
    const key = h.digest().subarray(0, 16);
    if (!own || own.length === 0) return new Uint8Array(key);
    const out = new Uint8Array(own.length + 16);
    out.set(own);
    out.set(key, own.length);
    return out;
  });
}

/** Candidate pairs between source i and source j (i ≤ j), local record numbers. */
export interface SourceBlock {
  i: number;
  j: number;
  /** (record of source i, record of source j) interleaved; within one source i < j. */
  pairs: Uint32Array;
}

/** Record-level Dice and one Dice per shared field (NaN = missing) of each pair of one block, in its order. */
export interface BlockSimilarities {
  clkDice: Float32Array;
  /** fields × pairs, pair-major. */
  sims: Float32Array;
}

/** Similarities of one block's pairs: reads only the block's two sources. */
export function blockSimilarities(
  { i, j, pairs }: SourceBlock,
  prep: Pick<PreparedSources, 'clkSets' | 'fieldSets' | 'fieldNames'>,
): BlockSimilarities {
  const { clkSets, fieldSets } = prep;
  const F = prep.fieldNames.length;
  const n = pairs.length / 2;
  const sims = new Float32Array(n * F);
  if (n === 0) return { clkDice: new Float32Array(0), sims };
  const clkDice = Float32Array.from(candidatesAbove(clkSets[i]!, clkSets[j]!, -1, { pairs }).score);
  for (let f = 0; f < F; f++) {
    const fa = fieldSets[i]![f];
    const fb = fieldSets[j]![f];
    if (!fa || !fb) {
      for (let k = 0; k < n; k++) sims[k * F + f] = NaN;
      continue;
    }
    const d = fieldDice(fa, fb, pairs);
    for (let k = 0; k < n; k++) {
      const present = fa.present[pairs[2 * k]!] && fb.present[pairs[2 * k + 1]!];
      sims[k * F + f] = present ? d[k]! : NaN;
    }
  }
  return { clkDice, sims };
}

/** Blocks' similarities concatenated in block order, their pairs in global record numbers. */
export function joinSimilarities(
  blocks: { block: SourceBlock; similarities: BlockSimilarities }[],
  prep: Pick<PreparedSources, 'offsets' | 'fieldNames'>,
): { ga: Uint32Array; gb: Uint32Array; clkDice: Float32Array; sims: Float32Array } {
  const F = prep.fieldNames.length;
  const candidateCount = blocks.reduce((n, b) => n + b.block.pairs.length / 2, 0);
  const ga = new Uint32Array(candidateCount);
  const gb = new Uint32Array(candidateCount);
  const clkDice = new Float32Array(candidateCount);
  const sims = new Float32Array(candidateCount * F);
  let at = 0;
  for (const { block, similarities } of blocks) {
    const { i, j, pairs } = block;
    const n = pairs.length / 2;
    for (let k = 0; k < n; k++) {
      ga[at + k] = prep.offsets[i]! + pairs[2 * k]!;
      gb[at + k] = prep.offsets[j]! + pairs[2 * k + 1]!;
    }
    clkDice.set(similarities.clkDice, at);
    sims.set(similarities.sims, at * F);
    at += n;
  }
  return { ga, gb, clkDice, sims };
}

/** Similarities per pair: record-level Dice and one Dice per shared field (NaN = missing), global record numbers. */
export function pairSimilarities(
  blocks: SourceBlock[],
  prep: PreparedSources,
): { ga: Uint32Array; gb: Uint32Array; clkDice: Float32Array; sims: Float32Array } {
  return joinSimilarities(
    blocks.map((block) => ({ block, similarities: blockSimilarities(block, prep) })),
    prep,
  );
}
