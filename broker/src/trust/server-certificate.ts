import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issueServerCertificate, type CertificateAuthority } from './ca.js';
import { assertOwnerOnly, ensureKeyDir } from './key-files.js';

/**
 * The broker's TLS certificate for the embedded default: issued by the broker CA on first start and
 * kept in the key directory. (In production the operator's own certificate and key files are used
 * instead and this is not called.) Re-issued when missing, not from this CA, not matching its key,
 * not covering the requested names, or within RENEW_BEFORE_DAYS of expiry.
 */

export const SERVER_KEY_FILE = 'server.key.pem';
export const SERVER_CERT_FILE = 'server.cert.pem';
const RENEW_BEFORE_DAYS = 30;

export interface ServerTlsMaterial {
  keyPem: string;
  certPem: string;
  /** True if a new certificate was issued on this call. */
  issued: boolean;
}

function stillGood(
  ca: CertificateAuthority,
  keyPem: string,
  certPem: string,
  hostnames: string[],
  ips: string[],
  now: Date,
): boolean {
  try {
    const cert = new X509Certificate(certPem);
    const caCert = new X509Certificate(ca.certPem);
    if (!cert.checkIssued(caCert) || !cert.verify(caCert.publicKey)) return false;
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) return false;
    if (Date.parse(cert.validTo) - now.getTime() < RENEW_BEFORE_DAYS * 86_400_000) return false;
    if (Date.parse(cert.validFrom) > now.getTime()) return false;
    return (
      hostnames.every((h) => cert.checkHost(h, { wildcards: false }) !== undefined) &&
      ips.every((ip) => cert.checkIP(ip) !== undefined)
    );
  } catch {
    return false;
  }
}

function replace(file: string, content: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode, flag: 'w' });
  renameSync(tmp, file);
}

export function loadOrIssueServerCertificate(
  keyDir: string,
  ca: CertificateAuthority,
  names: { hostnames: string[]; ips: string[] },
  now = new Date(),
): ServerTlsMaterial {
  ensureKeyDir(keyDir);
  const keyFile = join(keyDir, SERVER_KEY_FILE);
  const certFile = join(keyDir, SERVER_CERT_FILE);
  if (existsSync(keyFile) && existsSync(certFile)) {
    assertOwnerOnly(keyFile);
    const keyPem = readFileSync(keyFile, 'utf8');
    const certPem = readFileSync(certFile, 'utf8');
    if (stillGood(ca, keyPem, certPem, names.hostnames, names.ips, now)) return { keyPem, certPem, issued: false };
  }
  const fresh = issueServerCertificate(ca, names.hostnames, names.ips, { now });
  // Key first: a crash between the two leaves a mismatched pair, which the next start detects and re-issues.
  replace(keyFile, fresh.keyPem, 0o600);
  replace(certFile, fresh.certPem, 0o644);
  return { keyPem: fresh.keyPem, certPem: fresh.certPem, issued: true };
}
