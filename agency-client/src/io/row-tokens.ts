export const TOKEN_MAP_HEADER = 'row_token,record_id';

export function tokenMapPath(encodedPath: string): string {
  return `${encodedPath}.tokens.csv`;
}
