import { randomBytes } from 'node:crypto';

/** A fresh random row token (16 bytes, base64url): meaningless outside the agency's own token map. */
export function newRowToken(): string {
  return randomBytes(16).toString('base64url');
}

export const TOKEN_MAP_HEADER = 'row_token,record_id';

export function tokenMapPath(encodedPath: string): string {
  return `${encodedPath}.tokens.csv`;
}
