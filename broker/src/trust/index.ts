/** The broker's trust building blocks: CA and certificates, keys, envelopes, passwords, checkpoints. */
export {
  CA_CERT_FILE,
  CA_KEY_FILE,
  certificateFingerprint,
  certificateThumbprint,
  createCa,
  generateRsaKeyPair,
  issueClientCertificate,
  issueServerCertificate,
  loadOrCreateCa,
  verifyClientCertificate,
  type CertificateAuthority,
  type ClientCertificateCheck,
  type IssuedCertificate,
  type IssuedServerCertificate,
} from './ca.js';
export { RevocationList } from './revocation.js';
export {
  certificateConfirmation,
  checkCertificateBinding,
  type BindingCheck,
  type CertificateConfirmation,
} from './cert-binding.js';
export {
  agencyPeer,
  mutualTlsServerOptions,
  type AgencyPeer,
  type AgencyPeerCheck,
  type PeerSocket,
} from './tls-options.js';
export {
  loadOrIssueServerCertificate,
  type ServerTlsMaterial,
} from './server-certificate.js';
export {
  checkEnrolmentCode,
  ENROLMENT_CODE_TTL_MS,
  enrolmentCodeExpired,
  hashEnrolmentCode,
  newEnrolmentCode,
  type EnrolmentCode,
} from './enrolment.js';
export {
  atRestAad,
  BrokerKeyring,
  DATA_KEY_FILE,
  loadOrCreateBrokerKeys,
  SEALING_SEED_FILE,
  SIGNING_SEED_FILE,
  verifySignature,
  type BrokerKeySeeds,
} from './keys.js';
export { hashPassword, needsRehash, PASSWORD_MAX_LENGTH, verifyPassword } from './passwords.js';
export { checkPasswordPolicy, PASSWORD_MIN_LENGTH, type PasswordPolicyResult } from './password-policy.js';
export {
  adminUnlock,
  DEFAULT_LOCKOUT_POLICY,
  INITIAL_LOCKOUT_STATE,
  loginGate,
  nextLockoutState,
  type LockoutPolicy,
  type LockoutState,
  type LoginGate,
} from './lockout.js';
export {
  EnvelopeError,
  openSubmission,
  type EnvelopeProblem,
  type OpenedSubmission,
} from './submission-envelope.js';
export {
  signCheckpoint,
  verifyCheckpoint,
  type CheckpointBody,
  type CheckpointCheck,
  type SignedCheckpoint,
} from './checkpoint.js';
export { decodeBase64Strict, isStrictBase64 } from './sodium.js';
