import { createHash } from 'node:crypto';
import { ProtocolError, type SubmissionRequest } from '@blindlink/protocol';
import { canonicalJson } from '@blindlink/policies';

export interface DecodedSubmission {
  tokens: string[];
  clks: Uint8Array[];
  digest: string;
}

/**
 * Checks what the JSON schema cannot: every CLK has exactly the declared bit length, tokens are
 * unique, the count matches. Names the first offending row by its position (row tokens are random and
 * carry no identity, so naming them is safe). Pure.
 */
export function decodeSubmission(body: SubmissionRequest): DecodedSubmission {
  const { header, records } = body;
  if (header.recordCount !== records.length) {
    throw new ProtocolError('invalid-body', `header.recordCount is ${header.recordCount} but ${records.length} records were sent`);
  }
  const bytes = header.clkBits / 8;
  const seen = new Set<string>();
  const tokens: string[] = new Array(records.length);
  const clks: Uint8Array[] = new Array(records.length);
  const hash = createHash('sha256').update(canonicalJson(header));
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (seen.has(r.token)) throw new ProtocolError('duplicate-row-token', `records[${i}].token repeats an earlier row token`, { row: i });
    seen.add(r.token);
    const clk = Buffer.from(r.clk, 'base64');
    if (clk.length !== bytes) {
      throw new ProtocolError('wrong-bit-length', `records[${i}].clk has ${clk.length * 8} bits; the header declares clkBits ${header.clkBits}`, { row: i });
    }
    tokens[i] = r.token;
    clks[i] = clk;
    hash.update(r.token).update(':').update(r.clk).update('\n');
  }
  return { tokens, clks, digest: 'sha256:' + hash.digest('hex') };
}
