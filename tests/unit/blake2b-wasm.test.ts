// The WebAssembly BLAKE2b compression (agency-client/src/crypto/blake2b-wasm.ts) must equal the
// JavaScript one bit for bit: compared directly on random states, blocks, counters and final flags,
// then through Blake2bKeyed against node:crypto (unkeyed) for messages of one to several blocks.
import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { Blake2bKeyed, blake2bCompress, wasmCompressor } from '@blindlink/agency-client/crypto';

const wasm = wasmCompressor();
t.ok(wasm, 'WebAssembly is available on Node 20');

t.test('compression: WebAssembly equals JavaScript', async (t) => {
  let same = 0;
  for (let i = 0; i < 500; i++) {
    const h = new Int32Array(randomBytes(64).buffer.slice(0));
    const m = new Int32Array(randomBytes(128).buffer.slice(0));
    // Counters across the 32-bit boundary and small ones, as hashing makes.
    const t0 = i % 3 === 0 ? 0x100000000 * (i % 7) + ((i * 2654435761) % 0x100000000) : i * 128;
    const last = i % 2 === 0;
    const js = h.slice();
    blake2bCompress(js, m, t0, last);
    wasm!.h.set(h);
    wasm!.block.set(new Uint8Array(m.buffer));
    wasm!.compress(t0 | 0, (t0 / 0x100000000) | 0, last ? 1 : 0);
    if (Buffer.from(wasm!.h.buffer, wasm!.h.byteOffset, 64).equals(Buffer.from(js.buffer))) same++;
  }
  t.equal(same, 500, 'all 500 random compressions agree');
});

t.test('Blake2bKeyed through WebAssembly equals node:crypto', async (t) => {
  const wrong: number[] = [];
  for (const len of [1, 2, 3, 63, 64, 127, 128, 129, 255, 256, 257, 1000]) {
    const msg = randomBytes(len);
    const ours = Buffer.from(new Blake2bKeyed(new Uint8Array(0)).digest(msg));
    if (!ours.equals(createHash('blake2b512').update(msg).digest())) wrong.push(len);
  }
  t.same(wrong, [], 'every message length');
});
