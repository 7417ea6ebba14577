import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, renameSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseEncodedFile } from '@blindlink/protocol';
import { keyCheckMismatch } from '../submissions/key-check.js';
import { decodeSubmission } from '../submissions/validate.js';
import { link } from '../linkage/engine.js';
import type { EngineProgress, EngineResult, EngineSource } from '../linkage/types.js';

/**
 * The engine from files, for data officers trialling linkage before going live: encoded files in,
 * `entity_id,household_id,source,row_token` out. Accepts blindlink encoded files and clkhash `{"clks": [...]}`
 * files (row tokens are then the row numbers, and scoring is record-level Dice).
 */

export function sourceName(path: string): string {
  return basename(path).replace(/\.(enc|json|jsonl)$/i, '');
}

export function readSource(path: string, duplicateFree: boolean): EngineSource {
  const text = readFileSync(path, 'utf8');
  const name = sourceName(path);
  if (/^\s*\{\s*"clks"/.test(text)) {
    const clks = (JSON.parse(text) as { clks: string[] }).clks.map((b) => new Uint8Array(Buffer.from(b, 'base64')));
    const bits = (clks[0]?.length ?? 0) * 8;
    if (clks.some((c) => c.length * 8 !== bits)) throw new Error(`${path}: CLKs of different lengths`);
    return {
      name,
      duplicateFree,
      tokens: clks.map((_, i) => String(i)),
      clkBits: bits,
      clks,
      fieldSpecs: [],
      fieldMasks: new Array(clks.length).fill(0),
      fields: clks.map(() => null),
      blocks: clks.map(() => null),
    };
  }
  const body = parseEncodedFile(text, path);
  const d = decodeSubmission(body);
  return {
    name,
    duplicateFree,
    tokens: d.tokens,
    clkBits: body.header.clkBits,
    clks: d.clks,
    fieldSpecs: body.header.fieldFilters ?? [],
    fieldMasks: d.fieldMasks,
    fields: d.fields,
    blocks: d.blocks,
  };
}

/**
 * @param opts.duplicateFree sources holding one row per person; `adults` / `children`: sources
 *   holding only people aged 18 or over / only under-18s (by source name: the file name without .enc)
 */
export function linkFiles(
  paths: string[],
  opts: {
    duplicateFree: string[];
    adults?: string[];
    children?: string[];
    diceThreshold: number;
    clkOnly?: boolean;
    /** Told as each file is read (stage loading) and as each engine stage starts: counts only. */
    onProgress?: (p: EngineProgress | { stage: 'loading'; records: number }) => void;
  },
): { sources: EngineSource[]; result: EngineResult } {
  const names = paths.map(sourceName);
  const dupes = names.filter((n, i) => names.indexOf(n) !== i);
  if (dupes.length) throw new Error(`two inputs share the source name ${dupes[0]}: rename one`);
  const adults = opts.adults ?? [];
  const children = opts.children ?? [];
  for (const [flag, list] of [
    ['--duplicate-free', opts.duplicateFree],
    ['--adults', adults],
    ['--children', children],
  ] as const) {
    for (const d of list)
      if (!names.includes(d))
        throw new Error(`${flag} names ${d}, which is not an input (inputs: ${names.join(', ')})`);
  }
  const both = adults.find((a) => children.includes(a));
  if (both !== undefined)
    throw new Error(
      `${both} is named in both --adults and --children: a source holds only adults, only children, or anyone`,
    );
  const population = (name: string) =>
    adults.includes(name)
      ? { population: 'adults' as const }
      : children.includes(name)
        ? { population: 'children' as const }
        : {};
  let loaded = 0;
  const sources = paths.map((p) => {
    opts.onProgress?.({ stage: 'loading', records: loaded });
    const source = {
      ...readSource(p, opts.duplicateFree.includes(sourceName(p))),
      ...population(sourceName(p)),
    };
    loaded += source.tokens.length;
    return source;
  });
  const fingerprints = new Set(paths.map((p) => (p.endsWith('.json') ? 'clkhash' : 'blindlink')));
  if (fingerprints.size > 1) throw new Error('mix of clkhash and blindlink files: encode every source the same way');
  const mismatch = keyCheckMismatch(
    paths.map((p) => ({ agency: sourceName(p), key_check: headerKeyCheck(p) })),
    'the input files',
  );
  if (mismatch) throw new Error(mismatch);
  return {
    sources,
    result: link(sources, {
      diceThreshold: opts.diceThreshold,
      runId: randomUUID(),
      ...(opts.clkOnly ? { clkOnly: true } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    }),
  };
}

/** The key check in a blindlink file's header (read from its first line only), or null. */
function headerKeyCheck(path: string): string | null {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const line = buf.subarray(0, n).toString('utf8').split('\n')[0]!;
    const header = JSON.parse(line) as { keyCheck?: unknown };
    return typeof header.keyCheck === 'string' ? header.keyCheck : null;
  } catch {
    return null; // clkhash files and anything else readSource has already accepted carry none
  } finally {
    closeSync(fd);
  }
}

/**
 * entity_id,household_id,source,row_token for every input row (household_id empty when the entity has
 * no usable address); written under a temporary name, then renamed.
 */
export function writeEntities(out: string, sources: EngineSource[], result: EngineResult): void {
  let csv = 'entity_id,household_id,source,row_token\n';
  let g = 0;
  for (const s of sources)
    for (const token of s.tokens) {
      csv += `${result.entityIds[g]},${result.householdIds[g]},${s.name},${token}\n`;
      g++;
    }
  writeFileSync(`${out}.part`, csv);
  renameSync(`${out}.part`, out);
}
