import sodium from 'libsodium-wrappers';

export type Sodium = typeof sodium;

/** libsodium is WebAssembly and must finish loading before the first call; later awaits are free. */
export async function sodiumReady(): Promise<Sodium> {
  await sodium.ready;
  return sodium;
}

/** Strict standard base64 (with padding): Buffer.from(…, 'base64') would silently skip bad characters. */
export function decodeBase64Strict(text: string, what: string): Uint8Array {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) throw new Error(`${what} is not base64`);
  return new Uint8Array(Buffer.from(text, 'base64'));
}
