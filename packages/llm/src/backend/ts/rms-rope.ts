// RMS normalisation and the rotary position embedding of the reference backend: the layer norm and
// the position encoding of Llama, Qwen and Gemma, each one kernel forward and one backward.
import type { F32, I32 } from '../kernels.js';

export function rmsNorm(
  x: F32,
  scale: F32,
  rows: number,
  cols: number,
  eps: number,
  unitOffset: boolean,
  out: F32,
  rstd: F32,
): void {
  const offset = unitOffset ? 1 : 0;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let sq = 0;
    for (let j = 0; j < cols; j++) sq += x[base + j] * x[base + j];
    const rs = 1 / Math.sqrt(sq / cols + eps);
    rstd[r] = rs;
    for (let j = 0; j < cols; j++) out[base + j] = x[base + j] * rs * (scale[j] + offset);
  }
}

export function rmsNormBackward(
  x: F32,
  scale: F32,
  rstd: F32,
  dy: F32,
  rows: number,
  cols: number,
  unitOffset: boolean,
  dx: F32,
  dscale: F32,
): void {
  const offset = unitOffset ? 1 : 0;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const rs = rstd[r];
    // y = x * rs * w with rs = (mean(x^2) + eps)^-1/2: dx = rs * (g - x * rs^2 * mean(g * x)), g = dy * w.
    let sumGX = 0;
    for (let j = 0; j < cols; j++) {
      sumGX += dy[base + j] * (scale[j] + offset) * x[base + j];
      dscale[j] += dy[base + j] * x[base + j] * rs;
    }
    const k = (rs * rs * sumGX) / cols;
    for (let j = 0; j < cols; j++) dx[base + j] = rs * (dy[base + j] * (scale[j] + offset) - x[base + j] * k);
  }
}

// out = x * cos + rotate_half(x) * sin per row of hs values, rotate_half(x) = [-x2, x1] (the halves of
// the row); row r takes row angleRow[r] of cos and sin (hs each). transpose applies the transposed
// map, the backward: dx1 = g1 * cos1 + g2 * sin2, dx2 = g2 * cos2 - g1 * sin1.
export function rope(
  x: F32,
  cos: F32,
  sin: F32,
  angleRow: I32,
  rows: number,
  hs: number,
  out: F32,
  transpose: boolean,
): void {
  const half = hs / 2;
  for (let r = 0; r < rows; r++) {
    const base = r * hs;
    const a = angleRow[r] * hs;
    for (let j = 0; j < half; j++) {
      const x1 = x[base + j];
      const x2 = x[base + half + j];
      const c1 = cos[a + j];
      const s1 = sin[a + j];
      const c2 = cos[a + half + j];
      const s2 = sin[a + half + j];
      if (transpose) {
        out[base + j] = x1 * c1 + x2 * s2;
        out[base + half + j] = x2 * c2 - x1 * s1;
      } else {
        out[base + j] = x1 * c1 - x2 * s1;
        out[base + half + j] = x2 * c2 + x1 * s2;
      }
    }
  }
}
