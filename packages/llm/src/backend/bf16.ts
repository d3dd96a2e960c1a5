// bfloat16 as the decode path stores weights: the upper 16 bits of a float32 (same exponent range,
// 8 significant bits), kept in a Uint16Array. Narrowing rounds to nearest even, as PyTorch's
// .to(torch.bfloat16) does; widening is exact.

// out (x.length elements, a new array by default) receives x narrowed to bf16.
export function toBf16(x: Float32Array, out: Uint16Array = new Uint16Array(x.length)): Uint16Array {
  const bits = new Uint32Array(x.buffer, x.byteOffset, x.length);
  for (let i = 0; i < x.length; i++) {
    const b = bits[i];
    // A NaN keeps a mantissa bit set (truncating could turn it into an infinity).
    out[i] = (b & 0x7fffffff) > 0x7f800000 ? (b >>> 16) | 0x40 : (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
  }
  return out;
}

// out[i] = the float32 value of bits[i].
export function widenBf16(bits: Uint16Array, out: Float32Array): void {
  const out32 = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < out32.length; i++) out32[i] = bits[i] << 16;
}

// A copy of x with every element rounded to the nearest bfloat16 value (kept as float32).
export function roundToBf16(x: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  widenBf16(toBf16(x), out);
  return out;
}
