export { Blake2bKeyed } from './blake2b.js';
export { blake2bCompress } from './blake2b-compress.js';
export { wasmCompressor, type WasmCompressor } from './blake2b-wasm.js';
export { HmacSha1, sha1, sha1Compress } from './sha1.js';
export { HmacMd5, md5, md5Compress } from './md5.js';
export { encodeUtf8Into, utf8Length } from './utf8.js';
