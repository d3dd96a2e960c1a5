// Runs the native matmulBf16 on awkward shapes and prints, as JSON, the kernel's name and the worst
// ratio of |result - reference| to the order-of-summation bound, where the reference is the native
// f32 GEMM of the operands rounded to bf16 here. The test runs it with LLM_SCRATCH_BF16_KERNEL=pairs,
// the AVX-512 BF16 kernel's tile and packing with vdpbf16ps done in portable code.
import { createRequire } from 'node:module';

const k = createRequire(import.meta.url)(process.argv[2]);

function data(n, seed) {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sin(i * 12.9898 + seed * 78.233);
  return out;
}

// Round to nearest even, as src/backend/bf16.ts (these inputs hold no NaN).
function round(x) {
  const bits = new Uint32Array(x.buffer.slice(0));
  for (let i = 0; i < bits.length; i++) bits[i] = ((bits[i] + 0x7fff + ((bits[i] >>> 16) & 1)) >>> 16) << 16;
  return new Float32Array(bits.buffer);
}

let worst = 0;
let seed = 1;
for (const [m, kk, n] of [
  [1, 1, 1],
  [13, 301, 45],
  [40, 520, 70],
  [25, 7, 33],
])
  for (const transA of [false, true])
    for (const transB of [false, true])
      for (const accumulate of [false, true]) {
        const p = {
          a: data(m * kk, seed++),
          b: data(kk * n, seed++),
          c: data(m * n, seed++),
          batch: 1,
          m,
          k: kk,
          n,
          transA,
          transB,
          strideA: 0,
          strideB: 0,
          strideC: m * n,
          accumulate,
        };
        const a = round(p.a);
        const b = round(p.b);
        const ref = { ...p, a, b, c: Float32Array.from(p.c) };
        k.matmulBf16(p);
        k.matmul(ref);
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) {
            let s = 0;
            for (let q = 0; q < kk; q++)
              s += Math.abs(
                (transA ? a[q * m + i] : a[i * kk + q]) * (transB ? b[j * kk + q] : b[q * n + j]),
              );
            const bound = 2 ** -22 * (kk + 1) * (s + 1);
            worst = Math.max(worst, Math.abs(p.c[i * n + j] - ref.c[i * n + j]) / bound);
          }
      }
process.stdout.write(JSON.stringify({ kernel: k.info().bf16GemmKernel, worst }));
