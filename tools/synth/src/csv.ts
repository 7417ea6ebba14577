/** RFC 4180 CSV rows. Values with separators, quotes, line breaks or edge spaces are quoted. */

const NEEDS_QUOTE = /[",\r\n]|^\s|\s$/;

export function csvField(value: string): string {
  if (value === '' || !NEEDS_QUOTE.test(value)) return value;
  return `"${value.replace(/"/g, '""')}"`;
}

export function csvRow(values: readonly string[]): string {
  let out = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    out += csvField(values[i] as string);
  }
  return out + '\n';
}
