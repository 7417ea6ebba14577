/**
 * Compiles a clkhash `pattern` (a Python `re` expression, matched against the whole value) into a
 * JavaScript RegExp. The common syntax is shared; Python-only named-group syntax and \A / \Z are
 * translated. Unicode mode is used when the pattern allows it, so `.` and classes work on code
 * points as in Python. Known gap: Python's \d, \w and \s also match non-ASCII characters.
 */
export function compilePythonPattern(source: string): RegExp {
  const translated = source
    .replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, '\\k<$1>')
    .replace(/\\A/g, '^')
    .replace(/\\Z/g, '$');
  const wrapped = `^(?:${translated})$`;
  try {
    return new RegExp(wrapped, 'u');
  } catch {
    // Python accepts escapes such as \- or \_ that JavaScript's unicode mode rejects.
    return new RegExp(wrapped);
  }
}
