/**
 * Canonical JSON: object keys sorted, undefined members left out, no white space. Two parties that
 * hash or sign "the same" value must serialise it identically; this is the one way they do.
 *
 * On the values we serialise (null, booleans, strings, finite numbers, arrays and plain objects of
 * those) the output is the JSON Canonicalization Scheme, RFC 8785, so a third party can recompute
 * audit hashes and signed messages offline with any JCS library: `sort()` orders keys by UTF-16 code
 * units as JCS requires, and JSON.stringify already writes numbers the ECMAScript way JCS adopts
 * (shortest round-trip form, `1e+21` upwards, `-0` as `0`) and escapes strings as JCS does (only `"`,
 * `\`, and control characters, with the short forms \b \f \n \r \t; lower-case hex). Outside that
 * domain it is not JCS (JCS rejects NaN and Infinity, which come out here as `null`, and honours
 * toJSON, e.g. on a Date) — nothing we hash or sign holds such values. tests/unit/canonical-json.test.ts
 * checks RFC 8785's own examples.
 */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return '[' + v.map(canonicalJson).join(',') + ']';
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return (
      '{' +
      Object.keys(o)
        .filter((k) => o[k] !== undefined)
        .sort()
        .map((k) => JSON.stringify(k) + ':' + canonicalJson(o[k]))
        .join(',') +
      '}'
    );
  }
  return JSON.stringify(v);
}
