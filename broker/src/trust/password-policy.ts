import { PASSWORD_MAX_LENGTH } from './passwords.js';

/**
 * Minimum password rules for people's accounts, with reasons a person can act on. Deliberately modest
 * (NCSC advice: length beats composition rules): at least 12 characters, not all of one kind, and not
 * the user name.
 */

export const PASSWORD_MIN_LENGTH = 12;

export type PasswordPolicyResult = { ok: true } | { ok: false; reasons: string[] };

function characterClass(ch: string): string {
  if (/\p{Ll}/u.test(ch)) return 'lower-case letters';
  if (/\p{Lu}|\p{Lt}/u.test(ch)) return 'upper-case letters';
  if (/\p{Nd}/u.test(ch)) return 'digits';
  if (/\p{L}/u.test(ch)) return 'letters';
  return 'symbols or spaces';
}

export function checkPasswordPolicy(password: string, context: { username?: string } = {}): PasswordPolicyResult {
  const reasons: string[] = [];
  const chars = [...password.normalize('NFC')];
  if (chars.length < PASSWORD_MIN_LENGTH)
    reasons.push(`must be at least ${PASSWORD_MIN_LENGTH} characters long (it has ${chars.length})`);
  if (password.length > PASSWORD_MAX_LENGTH) reasons.push(`must be at most ${PASSWORD_MAX_LENGTH} characters long`);
  const classes = new Set(chars.map(characterClass));
  if (chars.length > 0 && classes.size < 2)
    reasons.push(`must mix at least two kinds of character (it has only ${[...classes][0]})`);
  if (chars.length > 0 && new Set(chars).size === 1) reasons.push('must not be one character repeated');
  const user = context.username?.trim().toLowerCase();
  if (user && user.length >= 3 && password.toLowerCase().includes(user)) reasons.push('must not contain the user name');
  return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
}
