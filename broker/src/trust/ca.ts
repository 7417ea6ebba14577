import { createHash, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';
import { ensureKeyDir, readOrCreateSecretFile } from './key-files.js';

/**
 * The broker's own certificate authority. It issues the broker's TLS certificate (for the embedded
 * default) and every agency's client certificate. Its private key lives in the key directory, never in
 * the database, so a database dump cannot mint agency identities.
 *
 * Why RSA-2048: node-forge builds and parses certificates and CSRs only for RSA keys, and RSA-2048 is
 * accepted by every TLS stack an agency is likely to run. Keys are generated with node:crypto (OpenSSL:
 * 0.15-0.2 s idle, up to ~0.9 s on a loaded 2-core machine) and converted to forge objects, rather than
 * left to forge's generator, which silently drops to pure JavaScript (2-5 s measured) whenever
 * forge.options.usePureJavaScript is set anywhere in the process.
 */

export const CA_COMMON_NAME = 'blindlink broker CA';
export const CA_KEY_FILE = 'ca.key.pem';
export const CA_CERT_FILE = 'ca.cert.pem';
const CA_VALIDITY_DAYS = 3650;
/** Certificates start a little in the past so an agency whose clock runs slow can still use them. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const MIN_RSA_BITS = 2048;
const AGENCY_SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;
const OID_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

export interface CertificateAuthority {
  certPem: string;
  keyPem: string;
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
}

export interface IssuedCertificate {
  certPem: string;
  /** base64url(SHA-256(DER)): the RFC 8705 `x5t#S256` value. */
  thumbprint: string;
  /** Lower-case hex, no separators: the key of the revocation list. */
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
}

export interface IssuedServerCertificate extends IssuedCertificate {
  keyPem: string;
}

/** An RSA-2048 key pair from OpenSSL, as forge objects plus the private key PEM. */
export function generateRsaKeyPair(): {
  privateKey: forge.pki.rsa.PrivateKey;
  publicKey: forge.pki.rsa.PublicKey;
  privateKeyPem: string;
} {
  const { privateKey: privateKeyPem } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicExponent: 0x10001,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const privateKey = forge.pki.privateKeyFromPem(privateKeyPem) as forge.pki.rsa.PrivateKey;
  const publicKey = forge.pki.setRsaPublicKey(privateKey.n, privateKey.e);
  return { privateKey, publicKey, privateKeyPem };
}

/**
 * 16 random bytes, forced positive and without a leading zero byte so the DER INTEGER is minimal
 * (strict parsers reject otherwise): 126 bits of randomness, well above the 64 that CA/B requires.
 */
export function randomSerialHex(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x3f) | 0x40;
  return b.toString('hex');
}

/** Serial numbers compared the same whether they came from forge (lower) or node (upper, maybe colons). */
export function normaliseSerial(serial: string): string {
  return serial
    .replace(/[:\s]/g, '')
    .toLowerCase()
    .replace(/^0+(?=.)/, '');
}

/** base64url(SHA-256(DER)) of a certificate given as PEM or as DER bytes (e.g. a peer certificate's `raw`). */
export function certificateThumbprint(pemOrDer: string | Uint8Array): string {
  const der = typeof pemOrDer === 'string' ? new X509Certificate(pemOrDer).raw : pemOrDer;
  return createHash('sha256').update(der).digest('base64url');
}

function certificateDer(cert: forge.pki.Certificate): Buffer {
  return Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
}

function issued(cert: forge.pki.Certificate): IssuedCertificate {
  return {
    certPem: forge.pki.certificateToPem(cert),
    thumbprint: createHash('sha256').update(certificateDer(cert)).digest('base64url'),
    serialHex: normaliseSerial(cert.serialNumber),
    notBefore: cert.validity.notBefore,
    notAfter: cert.validity.notAfter,
  };
}

function setValidity(cert: forge.pki.Certificate, now: Date, days: number): void {
  cert.validity.notBefore = new Date(now.getTime() - CLOCK_SKEW_MS);
  cert.validity.notAfter = new Date(now.getTime() + days * DAY_MS);
}

function selfSignedCa(key: forge.pki.rsa.PrivateKey, now: Date): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = randomSerialHex();
  setValidity(cert, now, CA_VALIDITY_DAYS);
  const name = [{ name: 'commonName', value: CA_COMMON_NAME }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    // pathLen 0: this CA signs end-entity certificates only, never another CA.
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(key, forge.md.sha256.create());
  return cert;
}

/** A fresh CA, in memory only (tests, and the first start before it is written). */
export function createCa(now = new Date()): CertificateAuthority {
  const { privateKey, privateKeyPem } = generateRsaKeyPair();
  const cert = selfSignedCa(privateKey, now);
  return { cert, key: privateKey, certPem: forge.pki.certificateToPem(cert), keyPem: privateKeyPem };
}

/**
 * Loads the CA from `keyDir`, creating it on first start: `ca.key.pem` (0600) and `ca.cert.pem`
 * (public; print it for agencies to pin). If the key exists but the certificate was never written (a
 * crash between the two writes), the certificate is re-made from the key.
 */
export function loadOrCreateCa(keyDir: string, now = new Date()): CertificateAuthority {
  ensureKeyDir(keyDir);
  const keyPem = readOrCreateSecretFile(keyDir, CA_KEY_FILE, () => generateRsaKeyPair().privateKeyPem);
  const key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const certFile = join(keyDir, CA_CERT_FILE);
  if (!existsSync(certFile)) {
    try {
      writeFileSync(certFile, forge.pki.certificateToPem(selfSignedCa(key, now)), { mode: 0o644, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // another process made it first
    }
  }
  const certPem = readFileSync(certFile, 'utf8');
  const cert = forge.pki.certificateFromPem(certPem);
  const pub = cert.publicKey as forge.pki.rsa.PublicKey;
  if (pub.n.compareTo(key.n) !== 0 || pub.e.compareTo(key.e) !== 0) {
    throw new Error(`${certFile} does not belong to the key in ${join(keyDir, CA_KEY_FILE)}`);
  }
  return { cert, key, certPem, keyPem };
}

function newLeaf(
  ca: CertificateAuthority,
  publicKey: forge.pki.PublicKey,
  commonName: string,
  now: Date,
  days: number,
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = randomSerialHex();
  setValidity(cert, now, days);
  // Never outlive the CA: a leaf valid past its issuer fails verification anyway, so say so early.
  if (cert.validity.notAfter > ca.cert.validity.notAfter)
    cert.validity.notAfter = new Date(ca.cert.validity.notAfter.getTime());
  cert.setSubject([{ name: 'commonName', value: commonName }]);
  cert.setIssuer(ca.cert.subject.attributes);
  return cert;
}

function leafExtensions(ca: CertificateAuthority, extra: object[]): object[] {
  const caKeyId = ca.cert.generateSubjectKeyIdentifier().getBytes();
  return [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caKeyId },
    ...extra,
  ];
}

/**
 * The broker's TLS server certificate, with its own fresh key. SANs: every hostname as dNSName and
 * every IP (v4 or v6) as iPAddress; clients match against these, not the CN.
 */
export function issueServerCertificate(
  ca: CertificateAuthority,
  hostnames: string[],
  ips: string[],
  options: { validityDays?: number; now?: Date } = {},
): IssuedServerCertificate {
  if (hostnames.length + ips.length === 0)
    throw new Error('a server certificate needs at least one hostname or IP address');
  const { publicKey, privateKeyPem } = generateRsaKeyPair();
  const cert = newLeaf(ca, publicKey, hostnames[0] ?? ips[0]!, options.now ?? new Date(), options.validityDays ?? 365);
  cert.setExtensions(
    leafExtensions(ca, [
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [...hostnames.map((value) => ({ type: 2, value })), ...ips.map((ip) => ({ type: 7, ip }))],
      },
    ]),
  );
  cert.sign(ca.key, forge.md.sha256.create());
  return { ...issued(cert), keyPem: privateKeyPem };
}

/**
 * An agency's client certificate from its CSR. Only the CSR's public key is used (after checking the
 * CSR is signed by the matching private key, i.e. the agency holds it): the subject is forced to
 * CN=<agency slug> and the extensions are the CA's own, whatever the CSR asked for.
 */
export function issueClientCertificate(
  ca: CertificateAuthority,
  csrPem: string,
  agencySlug: string,
  validityDays: number,
  now = new Date(),
): IssuedCertificate {
  if (!AGENCY_SLUG.test(agencySlug)) throw new Error(`not an agency slug: ${JSON.stringify(agencySlug)}`);
  if (!Number.isInteger(validityDays) || validityDays < 1 || validityDays > 825) {
    throw new Error(`validityDays must be a whole number from 1 to 825, not ${validityDays}`);
  }
  let csr: forge.pki.CertificateSigningRequest;
  try {
    csr = forge.pki.certificationRequestFromPem(csrPem);
  } catch (err) {
    throw new Error(`not a certificate signing request this CA can read (PEM, RSA key): ${(err as Error).message}`);
  }
  let signed = false;
  try {
    signed = csr.verify();
  } catch {
    signed = false;
  }
  if (!signed) throw new Error('the certificate signing request signature does not verify');
  const publicKey = csr.publicKey as forge.pki.rsa.PublicKey | null;
  if (!publicKey?.n) throw new Error('the certificate signing request has no RSA public key');
  if (publicKey.n.bitLength() < MIN_RSA_BITS)
    throw new Error(`the CSR key has ${publicKey.n.bitLength()} bits; at least ${MIN_RSA_BITS} are required`);
  const cert = newLeaf(ca, publicKey, agencySlug, now, validityDays);
  cert.setExtensions(leafExtensions(ca, [{ name: 'extKeyUsage', clientAuth: true }]));
  cert.sign(ca.key, forge.md.sha256.create());
  return issued(cert);
}

export type ClientCertificateCheck =
  | { ok: true; agency: string; serialHex: string; thumbprint: string; notAfter: Date }
  | { ok: false; reason: string };

/**
 * Offline check of a client certificate against the CA: issued and signed by it, within its validity
 * period, an end-entity certificate for client authentication. Revocation is a separate check
 * (RevocationList) because it needs the database.
 */
export function verifyClientCertificate(
  ca: CertificateAuthority,
  pemOrDer: string | Uint8Array,
  now = new Date(),
): ClientCertificateCheck {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(pemOrDer);
  } catch {
    return { ok: false, reason: 'not a certificate' };
  }
  const caX509 = new X509Certificate(ca.certPem);
  if (!x509.checkIssued(caX509) || !x509.verify(caX509.publicKey))
    return { ok: false, reason: 'not issued by this broker CA' };
  if (x509.ca) return { ok: false, reason: 'a CA certificate is not a client certificate' };
  const cert = forge.pki.certificateFromAsn1(forge.asn1.fromDer(forge.util.createBuffer(x509.raw.toString('binary'))));
  const t = now.getTime();
  if (t < cert.validity.notBefore.getTime()) return { ok: false, reason: 'certificate not yet valid' };
  if (t > cert.validity.notAfter.getTime()) return { ok: false, reason: 'certificate expired' };
  if (!(x509.keyUsage ?? []).includes(OID_CLIENT_AUTH))
    return { ok: false, reason: 'certificate is not for client authentication' };
  const cn = cert.subject.getField('CN') as { value?: unknown } | null;
  if (typeof cn?.value !== 'string' || !AGENCY_SLUG.test(cn.value))
    return { ok: false, reason: 'certificate subject is not an agency' };
  return {
    ok: true,
    agency: cn.value,
    serialHex: normaliseSerial(x509.serialNumber),
    thumbprint: createHash('sha256').update(x509.raw).digest('base64url'),
    notAfter: cert.validity.notAfter,
  };
}

/** SHA-256 fingerprint in the colon-separated upper-case hex form `openssl x509 -fingerprint -sha256` prints. */
export function certificateFingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}
