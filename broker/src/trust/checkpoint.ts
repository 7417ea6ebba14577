import { auditCheckpointMessage, auditKeyId } from '@blindlink/protocol';
import { verifySignature, type BrokerKeyring } from './keys.js';
import { decodeBase64Strict } from './sodium.js';

/**
 * Signed audit checkpoints: the broker signs the hash-chain head at a sequence number, so that someone
 * holding only the broker's public key can later prove the log up to `seq` has not been rewritten
 * (rewriting the chain would need a new signature). What is signed (auditCheckpointMessage in
 * @blindlink/protocol) is a context string and the canonical JSON of the four fields; the context
 * string stops a checkpoint signature being passed off as any other message the same key signs.
 */

export interface CheckpointBody {
  seq: number;
  /** The chain head hash (hex) of the audit row numbered `seq`. */
  hash: string;
  /** ISO 8601 UTC time of signing. */
  at: string;
  brokerKeyId: string;
}

export interface SignedCheckpoint extends CheckpointBody {
  /** Detached Ed25519 signature, base64. */
  signature: string;
}

function bodyProblem(cp: Partial<CheckpointBody>): string | null {
  if (!Number.isSafeInteger(cp.seq) || (cp.seq as number) < 0) return 'seq must be a non-negative integer';
  if (typeof cp.hash !== 'string' || !/^[0-9a-f]{64}$/.test(cp.hash)) return 'hash must be 64 lower-case hex digits';
  if (typeof cp.at !== 'string' || Number.isNaN(Date.parse(cp.at))) return 'at must be an ISO 8601 time';
  if (typeof cp.brokerKeyId !== 'string') return 'brokerKeyId is missing';
  return null;
}

export function signCheckpoint(
  keys: BrokerKeyring,
  head: { seq: number; hash: string },
  at = new Date(),
): SignedCheckpoint {
  const body: CheckpointBody = { seq: head.seq, hash: head.hash, at: at.toISOString(), brokerKeyId: keys.keyId };
  const problem = bodyProblem(body);
  if (problem) throw new Error(`cannot sign checkpoint: ${problem}`);
  return {
    ...body,
    signature: Buffer.from(keys.sign(new Uint8Array(auditCheckpointMessage(body)))).toString('base64'),
  };
}

export type CheckpointCheck = { ok: true } | { ok: false; reason: string };

/** Offline check with only the broker's Ed25519 public key (raw bytes or base64). */
export async function verifyCheckpoint(
  cp: SignedCheckpoint,
  brokerSigningPublicKey: Uint8Array | string,
): Promise<CheckpointCheck> {
  const problem = bodyProblem(cp);
  if (problem) return { ok: false, reason: problem };
  let pk: Uint8Array;
  let sig: Uint8Array;
  try {
    pk =
      typeof brokerSigningPublicKey === 'string'
        ? decodeBase64Strict(brokerSigningPublicKey, 'public key')
        : brokerSigningPublicKey;
    sig = decodeBase64Strict(cp.signature, 'signature');
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  if (cp.brokerKeyId !== auditKeyId(pk))
    return { ok: false, reason: `checkpoint was signed by key ${cp.brokerKeyId}, not ${auditKeyId(pk)}` };
  if (!(await verifySignature(pk, new Uint8Array(auditCheckpointMessage(cp)), sig)))
    return { ok: false, reason: 'signature does not verify' };
  return { ok: true };
}
