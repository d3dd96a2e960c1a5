// The bf16 product of mixed-precision training: on every backend, matmulBf16 is the f32 product of
// the operands rounded to bf16 (round to nearest even, as torch.bfloat16), with f32 accumulation.
// The native kernel without AVX-512 BF16 sums in the f32 GEMM's order, so it must agree with the
// native f32 product of the rounded operands bit for bit; against the TypeScript reference, and on
// a CPU with vdpbf16ps, the sums differ only in order, checked within an absolute bound scaled to
// sum |a||b| of each element.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { roundToBf16 } from '../../src/backend/bf16.js';
import type { MatmulParams } from '../../src/backend/kernels.js';
import { addonPath, loadNative } from '../../src/backend/native.js';
import { tsKernels } from '../../src/backend/ts/index.js';
import { describeEachBackend } from '../helpers/backends.js';
import { uniformArray } from '../helpers/random.js';
import { kernels } from '../../src/backend/index.js';

const randn = uniformArray;

interface Case {
  batch: number;
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
  broadcastB?: boolean;
  accumulate?: boolean;
}

function params(c: Case, seed: number): MatmulParams {
  const bCount = c.broadcastB ? 1 : c.batch;
  return {
    a: randn(c.batch * c.m * c.k, seed),
    b: randn(bCount * c.k * c.n, seed + 1),
    c: randn(c.batch * c.m * c.n, seed + 2),
    batch: c.batch,
    m: c.m,
    k: c.k,
    n: c.n,
    transA: c.transA,
    transB: c.transB,
    strideA: c.m * c.k,
    strideB: c.broadcastB ? 0 : c.k * c.n,
    strideC: c.m * c.n,
    accumulate: c.accumulate ?? false,
  };
}

// Awkward sizes (odd k leaves half a bf16 pair; none is a multiple of a register or cache block),
// every layout, batches, a broadcast operand and accumulation.
const CASES: Case[] = [];
for (const [m, k, n] of [
  [1, 1, 1],
  [7, 33, 127],
  [13, 300, 45],
  [127, 257, 33],
  [40, 520, 130],
])
  for (const transA of [false, true])
    for (const transB of [false, true]) CASES.push({ batch: 1, m, k, n, transA, transB });
CASES.push({ batch: 3, m: 33, k: 65, n: 17, transA: false, transB: true, broadcastB: true });
CASES.push({ batch: 2, m: 17, k: 129, n: 40, transA: true, transB: false, accumulate: true });

// Each element's bound: f32 sums of k products of magnitude up to |a||b| differ by order in about
// k ulps of the largest partial sum; 2^-22 * k * sum|a||b| covers that with room.
function orderBound(p: MatmulParams): Float64Array {
  const a = roundToBf16(p.a);
  const b = roundToBf16(p.b);
  const out = new Float64Array(p.batch * p.m * p.n);
  for (let bi = 0; bi < p.batch; bi++)
    for (let i = 0; i < p.m; i++)
      for (let j = 0; j < p.n; j++) {
        let s = 0;
        for (let q = 0; q < p.k; q++) {
          const av = p.transA ? a[bi * p.strideA + q * p.m + i] : a[bi * p.strideA + i * p.k + q];
          const bv = p.transB ? b[bi * p.strideB + j * p.k + q] : b[bi * p.strideB + q * p.n + j];
          s += Math.abs(av * bv);
        }
        out[bi * p.m * p.n + i * p.n + j] = 2 ** -22 * (p.k + 1) * (s + 1);
      }
  return out;
}

describe('roundToBf16', () => {
  it('rounds to nearest, ties to even, as torch.bfloat16', () => {
    const ulp = 2 ** -7;
    const x = Float32Array.of(
      1,
      1 + ulp / 2,
      1 + (3 * ulp) / 2,
      1 + ulp / 2 + 2 ** -20,
      -2.5,
      3.4028234663852886e38,
    );
    expect(Array.from(roundToBf16(x))).toEqual([1, 1, 1 + 2 * ulp, 1 + ulp, -2.5, Infinity]);
  });

  it('keeps NaN, infinities and signed zeros', () => {
    const r = roundToBf16(Float32Array.of(NaN, Infinity, -Infinity, -0));
    expect(Number.isNaN(r[0])).toBe(true);
    expect(Array.from(r.subarray(1))).toEqual([Infinity, -Infinity, -0]);
  });
});

describeEachBackend('matmulBf16', () => {
  it('is the f32 product of the bf16-rounded operands, within the order of the f32 sums', () => {
    let seed = 1;
    for (const c of CASES) {
      const p = params(c, (seed += 3));
      const ref = { ...p, a: roundToBf16(p.a), b: roundToBf16(p.b), c: Float32Array.from(p.c) };
      kernels().matmulBf16(p);
      tsKernels.matmul(ref);
      const bound = orderBound(p);
      for (let i = 0; i < ref.c.length; i++) {
        if (Math.abs(p.c[i] - ref.c[i]) > bound[i])
          expect.fail(`${JSON.stringify(c)} [${i}]: got ${p.c[i]}, expected ${ref.c[i]} within ${bound[i]}`);
      }
    }
  });

  // Integers where every product and partial sum is exact in f32, so any order of the sums gives
  // the same bits: the result must equal the exact product of the rounded operands, on every
  // kernel. Values above 256 need 9 bits and round (ties to even); the other operand stays
  // within 40 so that no sum passes 2^24. This checks every element's place in the packs.
  it('is exactly the product of the rounded operands where the sums are exact', () => {
    let seed = 900;
    for (const c of CASES)
      for (const wideA of [true, false]) {
        const p = params(c, (seed += 7));
        const ints = (x: Float32Array, limit: number, s: number) => {
          const r = randn(x.length, s);
          for (let i = 0; i < x.length; i++) x[i] = Math.round(r[i] * limit);
        };
        ints(p.a, wideA ? 300 : 40, seed);
        ints(p.b, wideA ? 40 : 300, seed + 1);
        ints(p.c, 40, seed + 2);
        const a = roundToBf16(p.a);
        const b = roundToBf16(p.b);
        const want = new Float32Array(p.c.length);
        for (let bi = 0; bi < c.batch; bi++)
          for (let i = 0; i < c.m; i++)
            for (let j = 0; j < c.n; j++) {
              let sum = p.accumulate ? p.c[bi * p.strideC + i * c.n + j] : 0;
              for (let q = 0; q < c.k; q++) {
                const av = a[bi * p.strideA + (c.transA ? q * c.m + i : i * c.k + q)];
                const bv = b[bi * p.strideB + (c.transB ? j * c.k + q : q * c.n + j)];
                sum += av * bv;
              }
              want[bi * p.strideC + i * c.n + j] = sum;
            }
        kernels().matmulBf16(p);
        expect(
          Buffer.from(p.c.buffer).equals(Buffer.from(want.buffer)),
          `${JSON.stringify(c)} wideA ${wideA}`,
        ).toBe(true);
      }
  });

  it('differs from the f32 product (the operands are rounded)', () => {
    const p = params({ batch: 1, m: 16, k: 64, n: 16, transA: false, transB: false }, 99);
    const f32 = { ...p, c: new Float32Array(p.c.length) };
    kernels().matmulBf16(p);
    kernels().matmul(f32);
    const changed = p.c.filter((v, i) => v !== f32.c[i]).length;
    expect(changed).toBeGreaterThan(p.c.length / 2);
  });

  it('k = 0 writes zeros, or leaves C with accumulate', () => {
    const p = params({ batch: 2, m: 3, k: 0, n: 7, transA: false, transB: true }, 5);
    kernels().matmulBf16(p);
    expect(Array.from(p.c).every((v) => v === 0)).toBe(true);
    const q = params({ batch: 2, m: 3, k: 0, n: 7, transA: true, transB: false, accumulate: true }, 6);
    const before = Float32Array.from(q.c);
    kernels().matmulBf16(q);
    expect(q.c).toEqual(before);
  });
});

const native = loadNative();
const widened = native !== null && !native.info().bf16GemmKernel.includes('vdpbf16ps');
describe.skipIf(!widened)('native matmulBf16 without AVX-512 BF16', () => {
  it('equals the native f32 GEMM of the rounded operands bit for bit', () => {
    let seed = 500;
    for (const c of CASES) {
      const p = params(c, (seed += 3));
      const ref = { ...p, a: roundToBf16(p.a), b: roundToBf16(p.b), c: Float32Array.from(p.c) };
      native!.matmulBf16(p);
      native!.matmul(ref);
      expect(p.c, JSON.stringify(c)).toEqual(ref.c);
    }
  });
});

// The AVX-512 BF16 kernel cannot run here; its tile (12 x 32) and packing (A in bf16 pairs too) can,
// with vdpbf16ps done in portable code (LLM_SCRATCH_BF16_KERNEL=pairs, read when the addon loads).
describe.skipIf(native === null)('native matmulBf16 on the AVX-512 BF16 layout', () => {
  it('is the f32 product of the rounded operands within the order bound', () => {
    const script = join(import.meta.dirname, 'scripts', 'bf16-pairs.mjs');
    const text = execFileSync(process.execPath, [script, addonPath()], {
      env: { ...process.env, LLM_SCRATCH_BF16_KERNEL: 'pairs' },
      encoding: 'utf8',
    });
    const { kernel, worst } = JSON.parse(text) as { kernel: string; worst: number };
    expect(kernel).toBe('portable 12x32 bf16 pairs');
    expect(worst).toBeLessThanOrEqual(1);
  });
});
