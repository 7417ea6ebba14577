/** CLK bytes → standard padded base64, as clkhash's serialize_bitarray produces. */
export function serializeClk(clk: Uint8Array): string {
  return Buffer.from(clk.buffer, clk.byteOffset, clk.byteLength).toString('base64');
}
