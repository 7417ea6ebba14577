/**
 * Repair of mojibake: UTF-8 text that was read as Windows-1252 (or Latin-1) somewhere on its way
 * into an extract, so "Siân" arrives as "SiÃ¢n" and "José" as "JosÃ©".
 *
 * Repaired only where it is unambiguous: every character maps back to one byte (Latin-1, or the
 * Windows-1252 letters and punctuation in 0x80–0x9F), and those bytes decode as strict UTF-8 with at
 * least one multi-byte sequence. A real Latin-1 name ("Renée", "Müller") is never valid UTF-8 read
 * that way (an accented letter is followed by ASCII, not by a continuation byte), so it is left alone;
 * text holding any character beyond Windows-1252 (a correctly decoded "Siân Łukasz") is left alone too.
 */

/** Windows-1252's characters in 0x80–0x9F, by byte; the five bytes it leaves undefined map to themselves. */
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹ŒŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ';
const BYTE_OF = new Map<number, number>();
for (let b = 0; b < 0x20; b++) BYTE_OF.set(CP1252_HIGH.charCodeAt(b), 0x80 + b);

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The byte a character stood for if the text was UTF-8 read as Windows-1252 or Latin-1; -1 if none. */
function byteOf(c: number): number {
  if (c < 0x80 || (c >= 0xa0 && c <= 0xff)) return c;
  // C1 controls: a Latin-1 read of 0x80–0x9F.
  if (c <= 0x9f) return c;
  return BYTE_OF.get(c) ?? -1;
}

/** The text decoded again as UTF-8 where it is unambiguously mojibake; otherwise the text as it is. */
export function repairMojibake(text: string): string {
  let high = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A lead byte of a multi-byte sequence is 0xC2–0xF4: without one there is nothing to repair.
    if (c >= 0xc2 && c <= 0xf4) high = true;
  }
  if (!high) return text;
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const b = byteOf(text.charCodeAt(i));
    if (b < 0) return text;
    bytes[i] = b;
  }
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    // Not UTF-8: genuine Latin-1 text ("Müller"), kept as it is.
    return text;
  }
}
