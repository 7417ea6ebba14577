import { normaliseSerial } from './ca.js';

/**
 * Revoked client certificates, by serial number. Pure and in memory: the broker persists the entries
 * (serial, revokedAt) in its database and rebuilds this on start and after each revocation. Checked on
 * every request, not once per TLS connection, so a revocation takes effect on keep-alive connections
 * too ("refused at once").
 */
export class RevocationList {
  readonly #revoked = new Map<string, Date>();

  constructor(entries: Iterable<readonly [serialHex: string, revokedAt: Date]> = []) {
    for (const [serial, at] of entries) this.revoke(serial, at);
  }

  /** Records a revocation. Revoking twice keeps the earlier time: a revocation is never undone. */
  revoke(serialHex: string, revokedAt: Date): void {
    const key = normaliseSerial(serialHex);
    const before = this.#revoked.get(key);
    if (!before || revokedAt < before) this.#revoked.set(key, new Date(revokedAt.getTime()));
  }

  /** When the certificate was revoked, or null if it is not revoked. */
  revokedAt(serialHex: string): Date | null {
    const at = this.#revoked.get(normaliseSerial(serialHex));
    return at ? new Date(at.getTime()) : null;
  }

  /**
   * True if revoked at or before `now`. A revocation recorded with a future time (e.g. the old
   * certificate's overlap window after renewal) only bites once that time comes.
   */
  isRevoked(serialHex: string, now = new Date()): boolean {
    const at = this.#revoked.get(normaliseSerial(serialHex));
    return at !== undefined && at.getTime() <= now.getTime();
  }

  get size(): number {
    return this.#revoked.size;
  }

  entries(): Array<[serialHex: string, revokedAt: Date]> {
    return [...this.#revoked].map(([s, at]) => [s, new Date(at.getTime())]);
  }
}
