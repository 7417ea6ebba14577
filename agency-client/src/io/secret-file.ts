import { readFile } from 'node:fs/promises';

/** Reads the secret: UTF-8 bytes of the file minus one trailing newline (LF or CRLF). */
export async function readSecretFile(path: string): Promise<Uint8Array> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Error(`cannot read secret file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0a) {
    bytes = bytes.subarray(0, bytes.length - (bytes.length > 1 && bytes[bytes.length - 2] === 0x0d ? 2 : 1));
  }
  if (bytes.length === 0) throw new Error(`secret file ${path} is empty`);
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`secret file ${path} is not valid UTF-8`);
  }
  return new Uint8Array(bytes);
}
