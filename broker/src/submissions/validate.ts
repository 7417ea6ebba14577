import { createHash, type Hash } from 'node:crypto';
import {
  canonicalJson,
  ProtocolError,
  type EncodedHeader,
  type EncodedRecord,
  type SubmissionRequest,
} from '@blindlink/protocol';

export interface DecodedSubmission {
  tokens: string[];
  clks: Uint8Array[];
  fieldMasks: number[];
  /** Per record: present field filters concatenated in header order, or null when none. */
  fields: (Uint8Array | null)[];
  /** Per record: blocking tokens concatenated (16 bytes each), or null when none. */
  blocks: (Uint8Array | null)[];
  /** Per record: non-identifying attributes, checked against the policy. */
  attributes: (Record<string, string | boolean> | null)[];
  digest: string;
}

type AttributeCheck = (attrs: Record<string, string>, row: number) => Record<string, string | boolean>;

/**
 * Checks what the JSON schema cannot: every CLK has exactly the declared bit length, tokens are
 * unique, the count matches. Names the first offending row by its position (row tokens are random and
 * carry no identity, so naming them is safe). Pure.
 */
export function decodeSubmission(
  body: SubmissionRequest,
  checkAttributes: AttributeCheck = (a) => a,
): DecodedSubmission {
  const { header, records } = body;
  if (header.recordCount !== records.length) {
    throw new ProtocolError(
      'invalid-body',
      `header.recordCount is ${header.recordCount} but ${records.length} records were sent`,
    );
  }
  const hash = createHash('sha256').update(canonicalJson(header));
  const out = decodeRecords(header, records, { checkAttributes, hash });
  out.digest = 'sha256:' + hash.digest('hex');
  return out;
}

/**
 * The per-record checks of decodeSubmission on any run of records: a whole submission, or one chunk
 * of a chunked upload (rows named by their position in the whole upload, from `firstRow`). Each
 * record's canonical form is fed to `hash` when given; `digest` is left empty for the caller.
 * Token uniqueness is checked within these records; across chunks the staging table's key does it.
 */
export function decodeRecords(
  header: EncodedHeader,
  records: readonly EncodedRecord[],
  opts: { checkAttributes?: AttributeCheck; firstRow?: number; hash?: Hash } = {},
): DecodedSubmission {
  const checkAttributes = opts.checkAttributes ?? ((a) => a);
  const base = opts.firstRow ?? 0;
  const hash = opts.hash;
  const bytes = header.clkBits / 8;
  const specs = header.fieldFilters ?? [];
  const fieldIndex = new Map(specs.map((f, i) => [f.field, i]));
  if (fieldIndex.size !== specs.length)
    throw new ProtocolError('invalid-body', 'header.fieldFilters names a field twice');
  const n = records.length;
  const seen = new Set<string>();
  const out: DecodedSubmission = {
    tokens: new Array(n),
    clks: new Array(n),
    fieldMasks: new Array(n),
    fields: new Array(n),
    blocks: new Array(n),
    attributes: new Array(n),
    digest: '',
  };
  for (let j = 0; j < n; j++) {
    const r = records[j]!;
    const i = base + j;
    if (seen.has(r.token))
      throw new ProtocolError('duplicate-row-token', `records[${i}].token repeats an earlier row token`, { row: i });
    seen.add(r.token);
    const clk = Buffer.from(r.clk, 'base64');
    if (clk.length !== bytes) {
      throw new ProtocolError(
        'wrong-bit-length',
        `records[${i}].clk has ${clk.length * 8} bits; the header declares clkBits ${header.clkBits}`,
        { row: i },
      );
    }
    let mask = 0;
    const parts: Buffer[] = [];
    if (r.fields) {
      // Header order, not the record's key order, so the packed layout is the same for every record.
      const present = Object.keys(r.fields);
      for (const f of present) {
        if (!fieldIndex.has(f))
          throw new ProtocolError('invalid-body', `records[${i}].fields.${f} is not declared in header.fieldFilters`, {
            row: i,
          });
      }
      specs.forEach((spec, k) => {
        const b64 = r.fields![spec.field];
        if (b64 === undefined) return;
        const filter = Buffer.from(b64, 'base64');
        if (filter.length * 8 !== spec.bits) {
          throw new ProtocolError(
            'wrong-bit-length',
            `records[${i}].fields.${spec.field} has ${filter.length * 8} bits; the header declares ${spec.bits}`,
            { row: i },
          );
        }
        mask |= 1 << k;
        parts.push(filter);
      });
    }
    if (r.blocks && !header.blockingKeys?.length) {
      throw new ProtocolError(
        'invalid-body',
        `records[${i}].blocks is present but the header declares no blockingKeys`,
        { row: i },
      );
    }
    out.tokens[j] = r.token;
    out.clks[j] = clk;
    out.fieldMasks[j] = mask;
    out.fields[j] = parts.length ? Buffer.concat(parts) : null;
    out.blocks[j] = r.blocks?.length ? Buffer.concat(r.blocks.map((b) => Buffer.from(b, 'base64url'))) : null;
    if (r.attributes && !(header.attributes ?? []).length) {
      throw new ProtocolError(
        'invalid-body',
        `records[${i}].attributes is present but the header declares no attributes`,
        { row: i },
      );
    }
    for (const a of Object.keys(r.attributes ?? {})) {
      if (!header.attributes!.includes(a))
        throw new ProtocolError('invalid-body', `records[${i}].attributes.${a} is not declared in header.attributes`, {
          row: i,
        });
    }
    out.attributes[j] = r.attributes ? checkAttributes(r.attributes, i) : null;
    hash?.update(canonicalJson(r)).update('\n');
  }
  return out;
}
