import { createReadStream, createWriteStream, renameSync, rmSync, type WriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { once } from 'node:events';
import { parse } from 'csv-parse';
import { encodedFileHeader } from '@blindlink/protocol';
import { basicNormalisers } from './basic-normalise.js';
import { encodeRecord, sodiumReady } from './clk.js';
import { deriveFieldKeys } from './keys.js';
import { BUILT_IN_SCHEMAS, schemaFingerprint, type FieldName } from './schema.js';
import { newRowToken, TOKEN_MAP_HEADER, tokenMapPath } from '../io/row-tokens.js';
import { csvLine } from '../io/csv.js';

export class InputError extends Error {}

export interface EncodeOptions {
  input: string;
  out: string;
  secret: Uint8Array;
  schema: string;
  /** field=COLUMN pairs for headers that differ from the schema's field names. */
  map: Record<string, string>;
  idColumn: string;
  /** Columns present in the CSV that are deliberately not encoded. */
  ignore: string[];
  onInvalid: 'skip' | 'fail';
}

export interface EncodeSummary {
  rows: number;
  encoded: number;
  rejected: Record<string, number>;
  seconds: number;
  out: string;
  tokenMap: string;
}

async function write(stream: WriteStream, chunk: string): Promise<void> {
  if (!stream.write(chunk)) await once(stream, 'drain');
}

async function closeStream(stream: WriteStream): Promise<void> {
  stream.end();
  await once(stream, 'finish');
}

/**
 * CSV (with header) → encoded file (JSON lines: header, then one {token, clk} per row) and the
 * agency's private token map beside it. Written under temporary names and renamed at the end, so a
 * failure leaves no partial output.
 */
export async function encodeCsv(opts: EncodeOptions, progress?: (rows: number) => void): Promise<EncodeSummary> {
  const schema = BUILT_IN_SCHEMAS[opts.schema];
  if (!schema) throw new InputError(`unknown schema "${opts.schema}"; built in: ${Object.keys(BUILT_IN_SCHEMAS).join(', ')}`);
  for (const field of Object.keys(opts.map)) {
    if (!schema.fields.some((f) => f.name === field)) throw new InputError(`--map names field "${field}", which schema ${schema.id} does not have`);
  }
  await sodiumReady();
  const keys = deriveFieldKeys(opts.secret, schema);
  const started = process.hrtime.bigint();

  const tmpBody = `${opts.out}.part.body`;
  const tmpOut = `${opts.out}.part`;
  const tmpTokens = `${tokenMapPath(opts.out)}.part`;
  const cleanup = () => [tmpBody, tmpOut, tmpTokens].forEach((f) => rmSync(f, { force: true }));

  const body = createWriteStream(tmpBody, { mode: 0o600 });
  const tokenMap = createWriteStream(tmpTokens, { mode: 0o600 });
  const rejected: Record<string, number> = {};
  let rows = 0;
  let encoded = 0;
  let present: FieldName[] = [];
  try {
    await write(tokenMap, TOKEN_MAP_HEADER + '\n');
    let columnOf: Map<FieldName, number> | undefined;
    let idIndex = -1;
    const parser = createReadStream(opts.input).pipe(parse({ bom: true, relax_column_count: false, skip_empty_lines: true }));
    for await (const record of parser as AsyncIterable<string[]>) {
      if (!columnOf) {
        const header = record.map((h) => h.trim());
        columnOf = new Map();
        for (const f of schema.fields) {
          const col = opts.map[f.name] ?? f.name;
          const idx = header.indexOf(col);
          if (idx >= 0) columnOf.set(f.name, idx);
          else if (opts.map[f.name]) throw new InputError(`column "${col}" (mapped to ${f.name}) is not in the header of ${opts.input}`);
        }
        idIndex = header.indexOf(opts.idColumn);
        if (idIndex < 0) throw new InputError(`id column "${opts.idColumn}" is not in the header of ${opts.input} (set it with --id-column)`);
        const known = new Set([...columnOf.values(), idIndex]);
        const unknown = header.filter((h, i) => !known.has(i) && !opts.ignore.includes(h));
        if (unknown.length > 0) {
          throw new InputError(`unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')} in ${opts.input}: map to a schema field with --map field=COLUMN, or leave out with --ignore`);
        }
        if (columnOf.size === 0) throw new InputError(`${opts.input} has none of the fields of schema ${schema.id}: ${schema.fields.map((f) => f.name).join(', ')}`);
        present = [...columnOf.keys()];
        continue;
      }
      rows++;
      const line = rows + 1;
      const values = new Map<string, string>();
      let problem: string | undefined;
      for (const [field, idx] of columnOf) {
        const n = basicNormalisers[field](record[idx] ?? '');
        if (!n.ok) {
          problem = `${field}: ${n.reason}`;
          break;
        }
        if ('value' in n) values.set(field, n.value);
      }
      const recordId = record[idIndex]?.trim() ?? '';
      if (!problem && recordId === '') problem = `${opts.idColumn}: empty record id`;
      if (!problem && values.size === 0) problem = 'every identifier is empty';
      if (problem) {
        if (opts.onInvalid === 'fail') throw new InputError(`${opts.input} line ${line}: ${problem}`);
        rejected[problem] = (rejected[problem] ?? 0) + 1;
        continue;
      }
      const token = newRowToken();
      const clk = encodeRecord(schema, keys, values);
      await write(body, JSON.stringify({ token, clk: Buffer.from(clk).toString('base64') }) + '\n');
      await write(tokenMap, csvLine([token, recordId]));
      encoded++;
      if (progress && rows % 1000 === 0) progress(rows);
    }
    if (!columnOf) throw new InputError(`${opts.input} is empty: a header row is required`);
    await closeStream(body);
    await closeStream(tokenMap);

    const header = encodedFileHeader({
      schema: { id: schema.id, version: schema.version, fingerprint: schemaFingerprint(schema, present), fields: present },
      clkBits: schema.clkBits,
      hardening: [],
      recordCount: encoded,
      createdAt: new Date().toISOString(),
    });
    const out = createWriteStream(tmpOut, { mode: 0o600 });
    await write(out, JSON.stringify(header) + '\n');
    await pipeline(createReadStream(tmpBody), out);
    rmSync(tmpBody);
    renameSync(tmpOut, opts.out);
    renameSync(tmpTokens, tokenMapPath(opts.out));
  } catch (err) {
    body.destroy();
    tokenMap.destroy();
    cleanup();
    if (err && typeof err === 'object' && 'code' in err && String((err as { code: unknown }).code).startsWith('CSV_')) {
      const e = err as unknown as Error & { lines?: number };
      throw new InputError(`${opts.input}${e.lines ? ` line ${e.lines}` : ''}: malformed CSV: ${e.message.replace(/^Invalid Record Length: /, '')}`);
    }
    throw err;
  }
  return { rows, encoded, rejected, seconds: Number(process.hrtime.bigint() - started) / 1e9, out: opts.out, tokenMap: tokenMapPath(opts.out) };
}
