import type { BrokerKeyring } from '../trust/keys.js';
import { atRestAad } from '../trust/keys.js';

/**
 * One encoding at rest: CLK, field filters and blocking tokens, length-prefixed and encrypted with
 * the broker's data key. The submission id and row token are the associated data, so a row cannot be
 * moved to another submission or token without failing to decrypt.
 */
export interface EncodingParts {
  clk: Uint8Array;
  fields: Uint8Array | null;
  blocks: Uint8Array | null;
  attributes: Record<string, string | boolean> | null;
}

function pack(p: EncodingParts): Uint8Array {
  const parts = [
    p.clk,
    p.fields ?? new Uint8Array(0),
    p.blocks ?? new Uint8Array(0),
    p.attributes ? Buffer.from(JSON.stringify(p.attributes)) : new Uint8Array(0),
  ];
  const out = new Uint8Array(4 * parts.length + parts.reduce((n, x) => n + x.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const x of parts) {
    view.setUint32(at, x.length);
    out.set(x, at + 4);
    at += 4 + x.length;
  }
  return out;
}

function unpack(bytes: Uint8Array): EncodingParts {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; i < 4; i++) {
    const n = view.getUint32(at);
    parts.push(bytes.subarray(at + 4, at + 4 + n));
    at += 4 + n;
  }
  return {
    clk: parts[0]!,
    fields: parts[1]!.length ? parts[1]! : null,
    blocks: parts[2]!.length ? parts[2]! : null,
    attributes: parts[3]!.length
      ? (JSON.parse(Buffer.from(parts[3]!).toString('utf8')) as Record<string, string | boolean>)
      : null,
  };
}

export function sealEncoding(
  keys: BrokerKeyring,
  submissionId: string,
  token: string,
  parts: EncodingParts,
): Uint8Array {
  return keys.encryptAtRest(pack(parts), atRestAad(submissionId, token));
}

export function openEncoding(
  keys: BrokerKeyring,
  submissionId: string,
  token: string,
  payload: Uint8Array,
): EncodingParts {
  return unpack(keys.decryptAtRest(payload, atRestAad(submissionId, token)));
}
