// Reference SGEMM with transposes and batches. The innermost loops walk contiguous memory:
// for op(B) = B (k x n) four rows of C are updated together from one row of B (B is read once per
// four rows, over column blocks that stay in cache); for op(B) = B^T the entries are dot products
// of contiguous rows, four columns at a time.
import { roundToBf16, widenBf16 } from '../bf16.js';
import type { F32, MatmulParams, MatmulWeightParams } from '../kernels.js';
import { gelu } from './elementwise.js';

// Columns of C per block: a k x 256 panel of B (768 KB at k = 768) stays in L2.
const COLUMN_BLOCK = 256;

// C rows i..i+rows-1 (rows <= 4) of one batch, for op(B) = B.
function rowsTimesB(
  a: F32,
  aOff: number,
  transA: boolean,
  m: number,
  k: number,
  i: number,
  rows: number,
  b: F32,
  bOff: number,
  n: number,
  acc: Float32Array[],
): void {
  const aAt = (r: number, q: number) => (transA ? a[aOff + q * m + i + r] : a[aOff + (i + r) * k + q]);
  for (let j0 = 0; j0 < n; j0 += COLUMN_BLOCK) {
    const j1 = Math.min(j0 + COLUMN_BLOCK, n);
    const [c0, c1, c2, c3] = acc;
    for (let q = 0; q < k; q++) {
      const bRow = bOff + q * n;
      const a0 = aAt(0, q);
      const a1 = rows > 1 ? aAt(1, q) : 0;
      const a2 = rows > 2 ? aAt(2, q) : 0;
      const a3 = rows > 3 ? aAt(3, q) : 0;
      for (let j = j0; j < j1; j++) {
        const bv = b[bRow + j];
        c0[j] += a0 * bv;
        c1[j] += a1 * bv;
        c2[j] += a2 * bv;
        c3[j] += a3 * bv;
      }
    }
  }
}

// C row i of one batch, for op(B) = B^T: dot products of contiguous rows.
function rowTimesBt(
  a: F32,
  aOff: number,
  transA: boolean,
  m: number,
  k: number,
  i: number,
  b: F32,
  bOff: number,
  n: number,
  out: Float32Array,
): void {
  let aRow = a.subarray(aOff + i * k, aOff + i * k + k);
  if (transA) {
    aRow = new Float32Array(k);
    for (let q = 0; q < k; q++) aRow[q] = a[aOff + q * m + i];
  }
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const b0 = bOff + j * k;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let q = 0; q < k; q++) {
      const av = aRow[q];
      s0 += av * b[b0 + q];
      s1 += av * b[b0 + k + q];
      s2 += av * b[b0 + 2 * k + q];
      s3 += av * b[b0 + 3 * k + q];
    }
    out[j] = s0;
    out[j + 1] = s1;
    out[j + 2] = s2;
    out[j + 3] = s3;
  }
  for (; j < n; j++) {
    let s = 0;
    for (let q = 0; q < k; q++) s += aRow[q] * b[bOff + j * k + q];
    out[j] = s;
  }
}

export function matmul(p: MatmulWeightParams): void {
  const { a, c, m, k, n, transA, transB } = p;
  const b = p.b instanceof Uint16Array ? widened(p.b) : p.b;
  const acc = [0, 1, 2, 3].map(() => new Float32Array(n));
  const epilogue = !!(p.bias || p.gelu || p.residual);
  for (let bi = 0; bi < p.batch; bi++) {
    const aOff = bi * p.strideA;
    const bOff = bi * p.strideB;
    const cOff = bi * p.strideC;
    for (let i = 0; i < m; i += transB ? 1 : 4) {
      const rows = transB ? 1 : Math.min(4, m - i);
      if (transB) {
        rowTimesBt(a, aOff, transA, m, k, i, b, bOff, n, acc[0]);
      } else {
        for (const row of acc) row.fill(0);
        rowsTimesB(a, aOff, transA, m, k, i, rows, b, bOff, n, acc);
      }
      for (let r = 0; r < rows; r++) {
        const cRow = cOff + (i + r) * n;
        if (p.accumulate) {
          const src = acc[r];
          for (let j = 0; j < n; j++) c[cRow + j] += src[j];
        } else {
          c.set(acc[r], cRow);
        }
        if (epilogue) applyEpilogue(p, c, cRow);
      }
    }
  }
}

// bf16 bits as the float32 values they are (the reference widens the whole matrix first).
function widened(bits: Uint16Array): F32 {
  const out = new Float32Array(bits.length);
  widenBf16(bits, out);
  return out;
}

// The epilogue on one row of C at cRow, step by step in float32 as the unfused ops round.
function applyEpilogue(p: MatmulWeightParams, c: F32, cRow: number): void {
  const { n, bias, preact, residual } = p;
  for (let j = 0; j < n; j++) {
    let v = c[cRow + j];
    if (bias) v = Math.fround(v + bias[j]);
    if (p.gelu) {
      if (preact) preact[cRow + j] = v;
      v = Math.fround(gelu(v));
    }
    if (residual) v += residual[cRow + j];
    c[cRow + j] = v;
  }
}

// The definition of the bf16 product: the f32 product of the operands rounded to bf16.
export function matmulBf16(p: MatmulParams): void {
  matmul({ ...p, a: roundToBf16(p.a), b: roundToBf16(p.b) });
}
