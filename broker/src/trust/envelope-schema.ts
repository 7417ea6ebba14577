export { SUBMISSION_ENVELOPE_ALG, SUBMISSION_SIGNATURE_CONTEXT, SubmissionEnvelope } from '@blindlink/protocol';
