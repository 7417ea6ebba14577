/**
 * CSV field quoting for the files the client writes (RFC 4180): the one implementation; fields with
 * separators, quotes, line breaks or edge spaces are quoted.
 */
export function csvField(v: string): string {
  return /[",\r\n]/.test(v) || /^\s|\s$/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function csvLine(fields: string[]): string {
  return fields.map(csvField).join(',') + '\n';
}
