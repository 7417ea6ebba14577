import { ProtocolError } from '@blindlink/protocol';
import { type AuditNote, noteFailure } from '../../services/audit-note.js';

/** What the GOV.UK error summary and the field's error message show. */
export interface FormProblem {
  status: number;
  code: string;
  message: string;
  /** The form field's id: the summary links to it and it carries the message. */
  field: string;
}

/**
 * A service's refusal of what a form sent (a 4xx other than 401/403), to show on the form itself in
 * the GOV.UK error-summary style, audited as the error page would be. Anything else (not signed in,
 * forbidden, a 5xx) is not the form's problem: null, and the caller rethrows it to the error page.
 */
export function formProblem(err: unknown, audit: AuditNote, defaultField: string): FormProblem | null {
  if (!(err instanceof ProtocolError)) return null;
  const status = err.statusCode;
  if (status < 400 || status >= 500 || status === 401 || status === 403) return null;
  noteFailure(audit, err);
  const field = typeof err.details?.field === 'string' ? err.details.field : defaultField;
  return { status, code: err.code, message: err.message, field };
}
