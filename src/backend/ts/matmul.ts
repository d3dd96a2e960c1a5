// Reference SGEMM with transposes and batches. Loop orders are chosen per layout so that the
// innermost loop walks contiguous memory: i-p-j for A@B and A^T@B, dot products for A@B^T.
import type { MatmulParams } from '../kernels.js';

export function matmul(p: MatmulParams): void {
  const { a, b, c, m, k, n, transA, transB } = p;
  const row = new Float32Array(n);
  for (let bi = 0; bi < p.batch; bi++) {
    const aOff = bi * p.strideA;
    const bOff = bi * p.strideB;
    const cOff = bi * p.strideC;
    for (let i = 0; i < m; i++) {
      const cRow = cOff + i * n;
      if (transB) {
        // C[i,j] = sum_p opA[i,p] * B[j,p]
        for (let j = 0; j < n; j++) {
          const bRow = bOff + j * k;
          let sum = 0;
          if (transA) {
            for (let q = 0; q < k; q++) sum += a[aOff + q * m + i] * b[bRow + q];
          } else {
            const aRow = aOff + i * k;
            for (let q = 0; q < k; q++) sum += a[aRow + q] * b[bRow + q];
          }
          row[j] = sum;
        }
      } else {
        row.fill(0);
        for (let q = 0; q < k; q++) {
          const av = transA ? a[aOff + q * m + i] : a[aOff + i * k + q];
          if (av === 0) continue;
          const bRow = bOff + q * n;
          for (let j = 0; j < n; j++) row[j] += av * b[bRow + j];
        }
      }
      if (p.accumulate) {
        for (let j = 0; j < n; j++) c[cRow + j] += row[j];
      } else {
        c.set(row, cRow);
      }
    }
  }
}
