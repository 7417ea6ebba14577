import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { generateCsr } from './csr.js';
import { ensureKeyDir, readKeyFile, replaceFile } from './key-files.js';
import { loadOrCreateAgencySigningKey } from './signing-key.js';

/**
 * The agency's identity files in its key directory:
 *   tls.key.pem          TLS private key in use (0600)
 *   tls.cert.pem         client certificate issued by the broker CA for that key
 *   tls.key.pending.pem  key of a CSR sent but not yet answered (0600): enrolment or renewal
 *   broker-ca.cert.pem   the broker CA certificate, pinned at enrolment
 *   agency-signing.ed25519.seed  Ed25519 submission-signing key (see signing-key.ts)
 * A renewal never overwrites the key in use until the new certificate is installed, so a failed
 * renewal leaves the agency able to connect.
 */

export const TLS_KEY_FILE = 'tls.key.pem';
export const TLS_CERT_FILE = 'tls.cert.pem';
export const TLS_PENDING_KEY_FILE = 'tls.key.pending.pem';
export const BROKER_CA_FILE = 'broker-ca.cert.pem';

export interface EnrolmentRequest {
  csrPem: string;
  /** Ed25519 public key to register with the broker, base64. */
  signingPublicKey: string;
}

/** Makes a fresh TLS key (kept as pending) and CSR, and ensures the signing key exists. */
export async function prepareEnrolment(keyDir: string, agencySlug: string): Promise<EnrolmentRequest> {
  ensureKeyDir(keyDir);
  const { csrPem, privateKeyPem } = generateCsr(agencySlug);
  replaceFile(join(keyDir, TLS_PENDING_KEY_FILE), privateKeyPem, 0o600);
  const signing = await loadOrCreateAgencySigningKey(keyDir);
  return { csrPem, signingPublicKey: signing.publicKeyBase64 };
}

/**
 * Installs the certificate the broker issued for the pending key: checks it belongs to that key and,
 * if the broker CA is given or already pinned, that the CA issued it; then makes key and certificate
 * current. `caPem` is pinned on first enrolment (compare its fingerprint with the one the broker
 * operator printed) and must not change afterwards.
 */
export function installClientCertificate(keyDir: string, certPem: string, caPem?: string): { notAfter: Date } {
  const pendingFile = join(keyDir, TLS_PENDING_KEY_FILE);
  if (!existsSync(pendingFile)) throw new Error('no certificate request is pending: run enrolment or renewal first');
  const keyPem = readKeyFile(pendingFile);
  const cert = new X509Certificate(certPem);
  if (!cert.checkPrivateKey(createPrivateKey(keyPem))) throw new Error('the certificate is not for the pending key');
  const caFile = join(keyDir, BROKER_CA_FILE);
  const pinned = existsSync(caFile) ? readFileSync(caFile, 'utf8') : undefined;
  if (
    pinned !== undefined &&
    caPem !== undefined &&
    new X509Certificate(pinned).fingerprint256 !== new X509Certificate(caPem).fingerprint256
  ) {
    throw new Error('the broker CA differs from the one pinned at enrolment');
  }
  const trusted = pinned ?? caPem;
  if (trusted !== undefined) {
    const ca = new X509Certificate(trusted);
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey))
      throw new Error('the certificate was not issued by the broker CA');
  }
  if (pinned === undefined && caPem !== undefined) replaceFile(caFile, caPem, 0o644);
  // Certificate first, then key: a crash in between leaves a mismatched pair that loadTlsIdentity reports.
  replaceFile(join(keyDir, TLS_CERT_FILE), certPem, 0o644);
  replaceFile(join(keyDir, TLS_KEY_FILE), keyPem, 0o600);
  rmSync(pendingFile, { force: true });
  return { notAfter: new Date(Date.parse(cert.validTo)) };
}

/** Key, certificate and pinned CA for mutual TLS (feed to tlsAgentOptions / mtlsAgent). */
export function loadTlsIdentity(keyDir: string): { keyPem: string; certPem: string; caPem: string } {
  const certFile = join(keyDir, TLS_CERT_FILE);
  const caFile = join(keyDir, BROKER_CA_FILE);
  if (!existsSync(certFile)) throw new Error(`no client certificate in ${keyDir}: enrol first`);
  if (!existsSync(caFile)) throw new Error(`no pinned broker CA in ${keyDir}: enrol first`);
  const keyPem = readKeyFile(join(keyDir, TLS_KEY_FILE));
  const certPem = readFileSync(certFile, 'utf8');
  if (!new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem))) {
    throw new Error(`${TLS_CERT_FILE} does not match ${TLS_KEY_FILE} in ${keyDir}: renew the certificate`);
  }
  return { keyPem, certPem, caPem: readFileSync(caFile, 'utf8') };
}
