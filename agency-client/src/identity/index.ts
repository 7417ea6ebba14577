/** The agency's identity: TLS key and CSR, Ed25519 signing key, submission envelopes, mutual TLS. */
export { csrForKey, generateCsr } from './csr.js';
export {
  AGENCY_SIGNING_SEED_FILE,
  loadOrCreateAgencySigningKey,
  signingKeyFromSeed,
  type AgencySigningKey,
} from './signing-key.js';
export { sealSubmission } from './submission-envelope.js';
export { mtlsAgent, tlsAgentOptions } from './tls-client.js';
export {
  installClientCertificate,
  loadTlsIdentity,
  prepareEnrolment,
  type EnrolmentRequest,
} from './identity-store.js';
