// The decode kernels of the reference backend: the fused matrix-vector product (bias, GELU,
// residual) over float32 or bfloat16 weights, and attention of new queries over a KV cache.
// Sums run in float64, so the native kernels are checked against values without float rounding.
import type { AttendParams, F32, GemvParams, U16 } from '../kernels.js';
import { gelu } from './elementwise.js';

// bfloat16 bits -> float32: the 16 bits are the upper half of the float.
const widenBits = new Uint32Array(1);
const widened = new Float32Array(widenBits.buffer);
export function bf16ToF32(bits: number): number {
  widenBits[0] = bits << 16;
  return widened[0];
}

function weightRow(weight: F32 | U16, k: number, j: number): (q: number) => number {
  const base = j * k;
  if (weight instanceof Uint16Array) return (q) => bf16ToF32(weight[base + q]);
  return (q) => weight[base + q];
}

export function gemv(p: GemvParams): void {
  const { x, rows, k, n, weight, bias, residual, out } = p;
  // Every result is computed before any is written: residual may alias out.
  const result = new Float64Array(rows * n);
  for (let j = 0; j < n; j++) {
    const w = weightRow(weight, k, j);
    for (let r = 0; r < rows; r++) {
      let s = bias ? bias[j] : 0;
      for (let q = 0; q < k; q++) s += x[r * k + q] * w(q);
      if (p.gelu) s = gelu(s);
      result[r * n + j] = residual ? s + residual[r * n + j] : s;
    }
  }
  out.set(result);
}

export function attendCached(p: AttendParams): void {
  const { q, keys, values, out, batch, heads, headDim: hs, maxLength, start, tokens } = p;
  const C = heads * hs;
  const scale = p.scale ?? 1 / Math.sqrt(hs);
  const kvHeads = p.kvHeads ?? heads;
  if (!(kvHeads >= 1 && heads % kvHeads === 0))
    throw new Error(
      `attendCached: params.heads (${heads}) must be a multiple of params.kvHeads (${kvHeads})`,
    );
  const group = heads / kvHeads;
  const scores = new Float64Array(start + tokens);
  for (let b = 0; b < batch; b++)
    for (let h = 0; h < heads; h++) {
      const cache = (b * kvHeads + Math.floor(h / group)) * maxLength * hs; // (B, kvHeads, maxLength, hs)
      for (let i = 0; i < tokens; i++) {
        const row = (b * tokens + i) * C + h * hs; // (B, Tn, nh, hs)
        const seen = start + i + 1;
        let max = -Infinity;
        for (let t = 0; t < seen; t++) {
          let s = 0;
          for (let d = 0; d < hs; d++) s += q[row + d] * keys[cache + t * hs + d];
          scores[t] = s * scale;
          if (scores[t] > max) max = scores[t];
        }
        let sum = 0;
        for (let t = 0; t < seen; t++) {
          scores[t] = Math.exp(scores[t] - max);
          sum += scores[t];
        }
        for (let d = 0; d < hs; d++) {
          let acc = 0;
          for (let t = 0; t < seen; t++) acc += scores[t] * values[cache + t * hs + d];
          out[row + d] = acc / sum;
        }
      }
    }
}
