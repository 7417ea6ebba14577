export const TOKEN_MAP_HEADER = 'row_token,record_id';

export function tokenMapPath(encodedPath: string): string {
  return `${encodedPath}.tokens.csv`;
}

/**
 * A release answer with our record ids put back beside the row tokens, which mean nothing outside
 * the agency: `token: t` becomes `token: {token, record_id}` and `tokens: [t]` a list of those. A new
 * value, built once (a JSON.stringify replacer would be called again on the objects it returned).
 */
export function withRecordIds(value: unknown, map: ReadonlyMap<string, string>, key = ''): unknown {
  const pair = (t: string) => ({ token: t, record_id: map.get(t) ?? null });
  if (key === 'token' && typeof value === 'string') return pair(value);
  if (key === 'tokens' && Array.isArray(value) && value.every((t) => typeof t === 'string')) return value.map(pair);
  if (Array.isArray(value)) return value.map((v) => withRecordIds(v, map));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withRecordIds(v, map, k)]));
  return value;
}
