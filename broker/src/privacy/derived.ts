/**
 * Tables derived from a background table alone (full names, every plausible date, the date tokens),
 * computed once per table and kept while it lives: a kept report thread (jobs/privacy-thread.ts) loads
 * the background once and reports on many submissions, and these cost a small report a fifth of its CPU.
 * Keyed by the table's array (WeakMap), so a background that is dropped takes its tables with it. The
 * tables are shared: callers must not change them.
 */
export function derivedFrom<A extends object, R>(f: (a: A) => R): (a: A) => R {
  const cache = new WeakMap<A, R>();
  return (a) => {
    let r = cache.get(a);
    if (r === undefined) {
      r = f(a);
      cache.set(a, r);
    }
    return r;
  };
}
