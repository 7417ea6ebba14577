/**
 * Text folding shared by all normalisers: diacritics folded to ASCII where Unicode allows,
 * case folded, white space collapsed.
 */

/**
 * Letters NFKD does not decompose (they are distinct letters, not base + accent), folded the way
 * a UK clerk would type them on an English keyboard.
 */
const EXTRA_FOLDS: Readonly<Record<string, string>> = {
  ł: 'l',
  Ł: 'L',
  ø: 'o',
  Ø: 'O',
  ß: 'ss',
  ẞ: 'SS',
  æ: 'ae',
  Æ: 'AE',
  œ: 'oe',
  Œ: 'OE',
  đ: 'd',
  Đ: 'D',
  ð: 'd',
  Ð: 'D',
  þ: 'th',
  Þ: 'TH',
  ħ: 'h',
  Ħ: 'H',
  ŧ: 't',
  Ŧ: 'T',
  ŋ: 'ng',
  Ŋ: 'NG',
  ı: 'i',
  ȷ: 'j',
  ĸ: 'k',
  ƒ: 'f',
};
const EXTRA_FOLD_RE = new RegExp(`[${Object.keys(EXTRA_FOLDS).join('')}]`, 'gu');

/** True if every code unit is ASCII (a loop is cheaper than any regex or normalize call). */
function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Invisible format characters that creep in from copy and paste or a byte order mark. */
const INVISIBLE_RE = /[\u00AD\u200B-\u200D\u2060\uFEFF]/gu;

/**
 * Folds diacritics: NFKD (which also maps ligatures and full-width forms to plain letters),
 * drops combining marks, then folds the letters NFKD leaves alone. Case is kept.
 */
export function foldDiacritics(text: string): string {
  // ASCII is its own NFKD form, has no marks and no letters to fold: most values are ASCII.
  if (isAscii(text)) return text;
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(EXTRA_FOLD_RE, (ch) => EXTRA_FOLDS[ch] ?? ch);
}

/** Removes invisible format characters (soft hyphen, zero-width space/joiners, BOM). */
export function stripInvisible(text: string): string {
  // Every invisible character is outside ASCII.
  if (isAscii(text)) return text;
  return text.replace(INVISIBLE_RE, '');
}

/** Collapses every run of white space (including no-break spaces) to one space and trims. */
export function collapseWhitespace(text: string): string {
  if (isCollapsedAscii(text)) return text;
  return text.replace(/\s+/gu, ' ').trim();
}

/**
 * True for ASCII text that collapsing leaves as it is: no white space but single spaces between
 * other characters (in ASCII, \s is space and \t \n \v \f \r). Most values are, and a loop over
 * them is much cheaper than a replace and a trim.
 */
function isCollapsedAscii(text: string): boolean {
  const n = text.length;
  if (n === 0) return true;
  if (text.charCodeAt(0) === 0x20 || text.charCodeAt(n - 1) === 0x20) return false;
  let prevSpace = false;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20) {
      if (prevSpace) return false;
      prevSpace = true;
    } else {
      if (c > 0x7e || c < 0x20) return false;
      prevSpace = false;
    }
  }
  return true;
}

/** True if the text holds a control character (C0, DEL, C1), tab and newline included. */
export function hasControlChar(text: string): boolean {
  return /\p{Cc}/u.test(text);
}

/**
 * Generic free-text normalisation: invisible characters removed, diacritics folded, lower case,
 * white space collapsed. Punctuation is kept: callers decide what punctuation means in their field.
 */
export function normaliseFreeText(raw: string): string {
  // Lower case before folding: some capitals lower to a letter with a mark (İ → i̇), which NFKD then splits.
  return collapseWhitespace(foldDiacritics(stripInvisible(raw).toLowerCase()));
}
