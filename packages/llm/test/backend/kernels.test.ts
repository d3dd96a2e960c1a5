// Every kernel, on every available backend, against the TypeScript reference (the specification)
// on seeded random inputs with awkward sizes: 1, 3, 7, 33, 127, 511, 769 are multiples of no
// register or cache block. matmul is also checked against an independent float64 product, so the
// reference itself is tested. Tolerances: 1e-4 relative for elementwise kernels, with an absolute
// floor scaled to the inputs for sums (gemm, reductions) where float rounding grows with length.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { availableBackends, useBackend, type BackendName } from '../../src/backend/index.js';
import {
  BINARY_OPS,
  type GemvParams,
  type Kernels,
  type MatmulParams,
  UNARY_OPS,
} from '../../src/backend/kernels.js';
import { addonPath, loadNative, nativeLoadError } from '../../src/backend/native.js';
import { tsKernels } from '../../src/backend/ts/index.js';
import { mulberry32, uniformArray } from '../helpers/random.js';

const SIZES = [1, 3, 7, 33, 127, 511, 769];
const SMALL = [1, 3, 7, 33, 127];

const randn = uniformArray;

function randInt(n: number, seed: number, max: number): Int32Array {
  const r = mulberry32(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(r() * max);
  return out;
}

// Elementwise closeness: |x - y| <= rtol * |y| + atol; NaN matches NaN, infinities match exactly.
function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol = 1e-4,
  atol = 1e-6,
  what = '',
): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const x = actual[i];
    const y = expected[i];
    if (Number.isNaN(y) && Number.isNaN(x)) continue;
    if (!Number.isFinite(y) || !Number.isFinite(x)) {
      if (x !== y) expect.fail(`${what}[${i}]: got ${x}, expected ${y}`);
      continue;
    }
    if (Math.abs(x - y) > rtol * Math.abs(y) + atol) expect.fail(`${what}[${i}]: got ${x}, expected ${y}`);
  }
}

function contiguousStrides(shape: number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  return strides;
}

// Strides of `shape` broadcast from `from` (same rank, 1 where broadcast): 0 on broadcast axes.
function broadcastStrides(from: number[], shape: number[]): number[] {
  const strides = contiguousStrides(from);
  return shape.map((s, d) => (from[d] === 1 && s !== 1 ? 0 : strides[d]));
}

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

// float64 C = op(A) op(B), independent of both backends.
function matmulF64(p: MatmulParams): Float64Array {
  const out = new Float64Array(p.batch * p.m * p.n);
  for (let bi = 0; bi < p.batch; bi++)
    for (let i = 0; i < p.m; i++)
      for (let j = 0; j < p.n; j++) {
        let s = 0;
        for (let q = 0; q < p.k; q++) {
          const av = p.transA ? p.a[bi * p.strideA + q * p.m + i] : p.a[bi * p.strideA + i * p.k + q];
          const bv = p.transB ? p.b[bi * p.strideB + j * p.k + q] : p.b[bi * p.strideB + q * p.n + j];
          s += av * bv;
        }
        out[bi * p.m * p.n + i * p.n + j] = s;
      }
  return out;
}

interface GemmCase {
  batch: number;
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
  broadcastA?: boolean;
  broadcastB?: boolean;
  accumulate?: boolean;
}

function gemmParams(c: GemmCase, seed: number): MatmulParams {
  const aCount = c.broadcastA ? 1 : c.batch;
  const bCount = c.broadcastB ? 1 : c.batch;
  return {
    a: randn(aCount * c.m * c.k, seed),
    b: randn(bCount * c.k * c.n, seed + 1),
    c: randn(c.batch * c.m * c.n, seed + 2),
    batch: c.batch,
    m: c.m,
    k: c.k,
    n: c.n,
    transA: c.transA,
    transB: c.transB,
    strideA: c.broadcastA ? 0 : c.m * c.k,
    strideB: c.broadcastB ? 0 : c.k * c.n,
    strideC: c.m * c.n,
    accumulate: c.accumulate ?? false,
  };
}

function checkGemm(kernels: Kernels, c: GemmCase, seed: number): void {
  const p = gemmParams(c, seed);
  const before = Float32Array.from(p.c);
  kernels.matmul(p);
  const ref = matmulF64({ ...p, c: before });
  if (p.accumulate) for (let i = 0; i < ref.length; i++) ref[i] += before[i];
  // Inputs are in [-1, 1]: a k-term float sum is off by about sqrt(k) ulps of its terms.
  expectClose(p.c, ref, 1e-4, 2e-6 * Math.sqrt(c.k) + 1e-6, `matmul ${JSON.stringify(c)}`);
}

const backends: BackendName[] = ['ts', 'native'];
const available = availableBackends();

for (const name of backends) {
  const missing = !available.includes(name);
  const title = missing
    ? `${name} kernels (skipped: the native addon is not built: ${nativeLoadError()})`
    : `${name} kernels`;
  describe.skipIf(missing)(title, () => {
    const k = (): Kernels => useBackend(name);

    describe('matmul', () => {
      it('matches a float64 product on every layout of small awkward sizes', () => {
        let seed = 1;
        for (const m of SMALL)
          for (const kk of SMALL)
            for (const n of SMALL)
              for (const transA of [false, true])
                for (const transB of [false, true])
                  checkGemm(k(), { batch: 1, m, k: kk, n, transA, transB }, seed++);
      });

      it('handles the large awkward sizes, transposed (backward products)', () => {
        const shapes: [number, number, number][] = [
          [511, 33, 769],
          [769, 127, 33],
          [33, 769, 511],
          [127, 769, 7],
        ];
        let seed = 1000;
        for (const [m, kk, n] of shapes)
          for (const transA of [false, true])
            for (const transB of [false, true])
              checkGemm(k(), { batch: 1, m, k: kk, n, transA, transB }, seed++);
      });

      it('runs batches, stride-0 broadcast operands and accumulate', () => {
        let seed = 2000;
        for (const batch of [1, 3, 7])
          for (const [m, kk, n] of [
            [7, 33, 3],
            [33, 7, 127],
            [127, 33, 33],
          ])
            for (const transA of [false, true])
              for (const transB of [false, true]) {
                const c = { batch, m, k: kk, n, transA, transB };
                checkGemm(k(), c, seed++);
                checkGemm(k(), { ...c, broadcastA: true, accumulate: true }, seed++);
                checkGemm(k(), { ...c, broadcastB: true }, seed++);
              }
      });

      it('k = 0 writes zeros, or leaves C with accumulate', () => {
        const p = gemmParams({ batch: 2, m: 3, k: 0, n: 7, transA: false, transB: false }, 5);
        k().matmul(p);
        expect(Array.from(p.c).every((v) => v === 0)).toBe(true);
        const q = gemmParams({ batch: 2, m: 3, k: 0, n: 7, transA: true, transB: true, accumulate: true }, 6);
        const before = Float32Array.from(q.c);
        k().matmul(q);
        expect(q.c).toEqual(before);
      });

      it('matches the reference backend on a GPT-sized product', () => {
        const c = { batch: 2, m: 64, k: 768, n: 769, transA: false, transB: true };
        const p = gemmParams(c, 7);
        const q = { ...p, c: Float32Array.from(p.c) };
        k().matmul(p);
        tsKernels.matmul(q);
        expectClose(p.c, q.c, 1e-4, 1e-4, 'matmul');
      });
    });

    describe('elementwise', () => {
      it('unary ops on every size', () => {
        for (const op of UNARY_OPS) {
          for (const n of SIZES) {
            // Positive inputs for log/sqrt/rsqrt, a wide range for exp/tanh/gelu tails.
            const positive = op === 'log' || op === 'sqrt' || op === 'rsqrt';
            const x = randn(n, n + 11, positive ? 0.01 : -12, 12);
            const out = new Float32Array(n);
            const ref = new Float32Array(n);
            k().unary(op, x, out);
            tsKernels.unary(op, x, ref);
            expectClose(out, ref, 1e-4, 1e-6, `unary ${op} n=${n}`);
          }
        }
      });

      it('unary ops work in place', () => {
        const x = randn(769, 3);
        const ref = new Float32Array(769);
        tsKernels.unary('gelu', x, ref);
        k().unary('gelu', x, x);
        expectClose(x, ref, 1e-4, 1e-6, 'gelu in place');
      });

      it('binary ops: contiguous, scalar, row, column and transposed broadcasts', () => {
        const shape = [3, 33, 7];
        const cases: [string, number[], number[]][] = [
          ['contiguous', contiguousStrides(shape), contiguousStrides(shape)],
          ['scalar b', contiguousStrides(shape), broadcastStrides([1, 1, 1], shape)],
          ['scalar a', broadcastStrides([1, 1, 1], shape), contiguousStrides(shape)],
          ['row b', contiguousStrides(shape), broadcastStrides([1, 1, 7], shape)],
          ['column a', broadcastStrides([3, 33, 1], shape), contiguousStrides(shape)],
          ['middle b', contiguousStrides(shape), broadcastStrides([3, 1, 7], shape)],
          // a stored as (7, 33, 3) and read transposed.
          ['transposed a', [1, 3, 99], broadcastStrides([1, 33, 1], shape)],
        ];
        for (const op of BINARY_OPS) {
          for (const [label, as, bs] of cases) {
            const a = randn(size(shape), 21, -3, 3);
            const b = randn(size(shape), 22, 0.1, 3);
            // Equal values exercise eq/ge; negative bases give NaN in pow on both sides.
            for (let i = 0; i < a.length; i += 5) a[i] = b[i];
            const out = new Float32Array(size(shape));
            const ref = new Float32Array(size(shape));
            k().binary(op, a, as, b, bs, out, shape);
            tsKernels.binary(op, a, as, b, bs, ref, shape);
            expectClose(out, ref, 1e-4, 1e-6, `binary ${op} ${label}`);
          }
        }
      });

      it('binary ops on awkward 1-d and 2-d sizes and rank 0', () => {
        for (const n of SIZES) {
          const a = randn(n, n, -2, 2);
          const b = randn(n, n + 1, -2, 2);
          for (const op of ['add', 'mul', 'maximum', 'lt'] as const) {
            const out = new Float32Array(n);
            const ref = new Float32Array(n);
            k().binary(op, a, [1], b, [1], out, [n]);
            tsKernels.binary(op, a, [1], b, [1], ref, [n]);
            expectClose(out, ref, 1e-4, 1e-6, `binary ${op} n=${n}`);
            // (n, 3) + a row of 3, and a column of n.
            const a2 = randn(n * 3, n + 2);
            const out2 = new Float32Array(n * 3);
            const ref2 = new Float32Array(n * 3);
            k().binary(op, a2, [3, 1], b, [1, 0], out2, [n, 3]);
            tsKernels.binary(op, a2, [3, 1], b, [1, 0], ref2, [n, 3]);
            expectClose(out2, ref2, 1e-4, 1e-6, `binary ${op} column n=${n}`);
          }
        }
        const out = new Float32Array(1);
        k().binary('sub', new Float32Array([5]), [], new Float32Array([2]), [], out, []);
        expect(out[0]).toBe(3);
      });

      it('maximum and minimum propagate NaN from either side', () => {
        const a = new Float32Array([NaN, 1, 2, NaN]);
        const b = new Float32Array([1, NaN, 3, NaN]);
        for (const op of ['maximum', 'minimum'] as const) {
          const out = new Float32Array(4);
          const ref = new Float32Array(4);
          k().binary(op, a, [1], b, [1], out, [4]);
          tsKernels.binary(op, a, [1], b, [1], ref, [4]);
          expectClose(out, ref, 0, 0, op);
        }
      });

      it('where with broadcast condition and operands', () => {
        for (const n of SIZES) {
          const shape = [3, n];
          const cond = randInt(n, n, 2);
          const condF = Float32Array.from(cond);
          const a = randn(3 * n, n + 1);
          const b = randn(1, n + 2);
          const out = new Float32Array(3 * n);
          const ref = new Float32Array(3 * n);
          const args = [condF, [0, 1], a, [n, 1], b, [0, 0]] as const;
          k().where(...args, out, shape);
          tsKernels.where(...args, ref, shape);
          expectClose(out, ref, 0, 0, `where n=${n}`);
        }
      });

      it('affine and fill (Float32Array and Int32Array)', () => {
        for (const n of SIZES) {
          const x = randn(n, n);
          const out = new Float32Array(n);
          const ref = new Float32Array(n);
          k().affine(x, -0.5, 3, out);
          tsKernels.affine(x, -0.5, 3, ref);
          expectClose(out, ref, 1e-6, 1e-7, `affine n=${n}`);
          const f = new Float32Array(n);
          k().fill(f, 0.1);
          expect(f).toEqual(new Float32Array(n).fill(0.1));
          const i = new Int32Array(n);
          k().fill(i, -7);
          expect(i).toEqual(new Int32Array(n).fill(-7));
        }
      });

      it('copyStrided: transpose, narrow, expand and concat, for floats and ints', () => {
        for (const n of SIZES) {
          // Transpose (3, n) -> (n, 3).
          const src = randn(3 * n, n);
          const out = new Float32Array(3 * n);
          const ref = new Float32Array(3 * n);
          k().copyStrided(src, 0, [1, n], out, 0, [3, 1], [n, 3]);
          tsKernels.copyStrided(src, 0, [1, n], ref, 0, [3, 1], [n, 3]);
          expect(out).toEqual(ref);
          // Narrow: columns 1.. of each row, from an offset.
          if (n > 1) {
            const nar = new Float32Array(3 * (n - 1));
            const narRef = new Float32Array(3 * (n - 1));
            k().copyStrided(src, 1, [n, 1], nar, 0, [n - 1, 1], [3, n - 1]);
            tsKernels.copyStrided(src, 1, [n, 1], narRef, 0, [n - 1, 1], [3, n - 1]);
            expect(nar).toEqual(narRef);
          }
          // Expand a row over 4 rows, into the right half of a (4, 2n) Int32 buffer (concat).
          const row = randInt(n, n + 1, 1000);
          const cat = new Int32Array(8 * n);
          const catRef = new Int32Array(8 * n);
          k().copyStrided(row, 0, [0, 1], cat, n, [2 * n, 1], [4, n]);
          tsKernels.copyStrided(row, 0, [0, 1], catRef, n, [2 * n, 1], [4, n]);
          expect(cat).toEqual(catRef);
        }
        // A rank-4 permute, like (B, T, nh, hs) -> (B, nh, T, hs).
        const shape = [2, 7, 3, 5];
        const src = randn(size(shape), 9);
        const out = new Float32Array(size(shape));
        const ref = new Float32Array(size(shape));
        const perm = [2, 5, 35, 1]; // read (B, nh, T, hs) from (B, T, nh, hs) storage
        k().copyStrided(src, 0, [105, 5, 15, 1], out, 0, contiguousStrides([2, 3, 7, 5]), [2, 3, 7, 5]);
        tsKernels.copyStrided(src, 0, [105, 5, 15, 1], ref, 0, contiguousStrides([2, 3, 7, 5]), [2, 3, 7, 5]);
        expect(out).toEqual(ref);
        expect(perm.length).toBe(4);
        // Rank 0.
        const one = new Float32Array(1);
        k().copyStrided(new Float32Array([4, 5]), 1, [], one, 0, [], []);
        expect(one[0]).toBe(5);
      });
    });

    describe('reductions and indexing', () => {
      it('reduce sum/max/min over (outer, size, inner) views', () => {
        for (const op of ['sum', 'max', 'min'] as const)
          for (const [outer, sz, inner] of [
            [1, 769, 1],
            [7, 33, 3],
            [3, 1, 127],
            [33, 127, 7],
            [1, 511, 769],
            [2, 3, 1],
          ]) {
            const x = randn(outer * sz * inner, sz);
            const out = new Float32Array(outer * inner);
            const ref = new Float32Array(outer * inner);
            k().reduce(op, x, outer, sz, inner, out);
            tsKernels.reduce(op, x, outer, sz, inner, ref);
            expectClose(out, ref, 1e-4, 1e-5 * Math.sqrt(sz), `reduce ${op} ${outer},${sz},${inner}`);
          }
      });

      it('argmax and argmin, first occurrence on ties', () => {
        for (const op of ['argmax', 'argmin'] as const)
          for (const [outer, sz, inner] of [
            [1, 769, 1],
            [7, 33, 3],
            [3, 1, 127],
            [33, 127, 7],
          ]) {
            // Small integers make ties common.
            const x = Float32Array.from(randInt(outer * sz * inner, sz, 5));
            const out = new Int32Array(outer * inner);
            const ref = new Int32Array(outer * inner);
            k().argReduce(op, x, outer, sz, inner, out);
            tsKernels.argReduce(op, x, outer, sz, inner, ref);
            expect(out).toEqual(ref);
          }
      });

      it('indexSelect and indexAdd with repeated indices (embedding forward and backward)', () => {
        for (const [outer, sz, inner, count] of [
          [1, 769, 33, 127],
          [3, 7, 1, 33],
          [2, 127, 769, 7],
          [1, 1, 3, 3],
        ]) {
          const x = randn(outer * sz * inner, sz);
          const idx = randInt(count, count, sz);
          idx[0] = idx[count - 1];
          const out = new Float32Array(outer * count * inner);
          const ref = new Float32Array(outer * count * inner);
          k().indexSelect(x, outer, sz, inner, idx, out);
          tsKernels.indexSelect(x, outer, sz, inner, idx, ref);
          expect(out).toEqual(ref);
          const dy = randn(outer * count * inner, 5);
          const dx = randn(outer * sz * inner, 6);
          const dxRef = Float32Array.from(dx);
          k().indexAdd(dy, outer, sz, inner, idx, dx);
          tsKernels.indexAdd(dy, outer, sz, inner, idx, dxRef);
          expectClose(dx, dxRef, 1e-5, 1e-6, 'indexAdd');
        }
      });

      it('gather and scatterAdd along the middle axis', () => {
        for (const [outer, sz, inner, idxSize] of [
          [3, 7, 33, 127],
          [1, 769, 1, 511],
          [7, 33, 3, 1],
        ]) {
          const x = randn(outer * sz * inner, sz);
          const idx = randInt(outer * idxSize * inner, idxSize, sz);
          const out = new Float32Array(outer * idxSize * inner);
          const ref = new Float32Array(outer * idxSize * inner);
          k().gather(x, outer, sz, inner, idx, idxSize, out);
          tsKernels.gather(x, outer, sz, inner, idx, idxSize, ref);
          expect(out).toEqual(ref);
          const dy = randn(outer * idxSize * inner, 3);
          const dx = new Float32Array(outer * sz * inner);
          const dxRef = new Float32Array(outer * sz * inner);
          k().scatterAdd(dy, outer, sz, inner, idx, idxSize, dx);
          tsKernels.scatterAdd(dy, outer, sz, inner, idx, idxSize, dxRef);
          expectClose(dx, dxRef, 1e-5, 1e-5, 'scatterAdd');
        }
      });
    });

    describe('neural-network kernels', () => {
      it('softmax and log-softmax, forward and backward, with causal masks', () => {
        for (const log of [false, true])
          for (const cols of SIZES) {
            const rows = cols === 769 ? 3 : 7;
            const x = randn(rows * cols, cols, -8, 8);
            // Mask the upper triangle as attention does; row 0 keeps one entry.
            for (let r = 0; r < rows; r++) for (let j = r + 1; j < cols; j++) x[r * cols + j] = -Infinity;
            const y = new Float32Array(rows * cols);
            const ref = new Float32Array(rows * cols);
            k().softmax(x, rows, cols, y, log);
            tsKernels.softmax(x, rows, cols, ref, log);
            expectClose(y, ref, 1e-4, 1e-7, `softmax log=${log} cols=${cols}`);
            const dy = randn(rows * cols, cols + 1);
            const dx = new Float32Array(rows * cols);
            const dxRef = new Float32Array(rows * cols);
            k().softmaxBackward(ref, dy, rows, cols, dx, log);
            tsKernels.softmaxBackward(ref, dy, rows, cols, dxRef, log);
            expectClose(dx, dxRef, 1e-4, 1e-5, `softmaxBackward log=${log} cols=${cols}`);
          }
      });

      it('a fully masked row gives NaN, as the reference', () => {
        const x = new Float32Array(3).fill(-Infinity);
        const y = new Float32Array(3);
        k().softmax(x, 1, 3, y, false);
        expect(Array.from(y).every(Number.isNaN)).toBe(true);
      });

      it('layerNorm forward and backward', () => {
        for (const cols of SIZES) {
          const rows = 5;
          const x = randn(rows * cols, cols, -3, 5);
          const gamma = randn(cols, 1, 0.5, 1.5);
          const beta = randn(cols, 2);
          const out = new Float32Array(rows * cols);
          const mean = new Float32Array(rows);
          const rstd = new Float32Array(rows);
          const ref = new Float32Array(rows * cols);
          const meanRef = new Float32Array(rows);
          const rstdRef = new Float32Array(rows);
          k().layerNorm(x, gamma, beta, rows, cols, 1e-5, out, mean, rstd);
          tsKernels.layerNorm(x, gamma, beta, rows, cols, 1e-5, ref, meanRef, rstdRef);
          expectClose(out, ref, 1e-4, 1e-5, `layerNorm cols=${cols}`);
          expectClose(mean, meanRef, 1e-4, 1e-6, 'mean');
          expectClose(rstd, rstdRef, 1e-4, 1e-6, 'rstd');
          const dy = randn(rows * cols, 3);
          const dx = new Float32Array(rows * cols);
          const dxRef = new Float32Array(rows * cols);
          const dg = randn(cols, 4);
          const db = randn(cols, 5);
          const dgRef = Float32Array.from(dg);
          const dbRef = Float32Array.from(db);
          k().layerNormBackward(x, gamma, meanRef, rstdRef, dy, rows, cols, dx, dg, db);
          tsKernels.layerNormBackward(x, gamma, meanRef, rstdRef, dy, rows, cols, dxRef, dgRef, dbRef);
          expectClose(dx, dxRef, 1e-4, 1e-5, `layerNormBackward dx cols=${cols}`);
          expectClose(dg, dgRef, 1e-4, 1e-5, 'dgamma');
          expectClose(db, dbRef, 1e-4, 1e-5, 'dbeta');
        }
      });

      it('layerNorm over many rows (the threaded path)', () => {
        const rows = 511;
        const cols = 769;
        const x = randn(rows * cols, 1);
        const gamma = randn(cols, 2);
        const beta = randn(cols, 3);
        const dy = randn(rows * cols, 4);
        const mean = new Float32Array(rows);
        const rstd = new Float32Array(rows);
        const out = new Float32Array(rows * cols);
        tsKernels.layerNorm(x, gamma, beta, rows, cols, 1e-5, out, mean, rstd);
        const got = [new Float32Array(rows * cols), new Float32Array(cols), new Float32Array(cols)] as const;
        const ref = [new Float32Array(rows * cols), new Float32Array(cols), new Float32Array(cols)] as const;
        k().layerNormBackward(x, gamma, mean, rstd, dy, rows, cols, ...got);
        tsKernels.layerNormBackward(x, gamma, mean, rstd, dy, rows, cols, ...ref);
        expectClose(got[0], ref[0], 1e-4, 1e-5, 'dx');
        // dgamma and dbeta sum 511 rows: float accumulation in the reference drifts by ~sqrt(rows) ulps.
        expectClose(got[1], ref[1], 1e-4, 1e-4, 'dgamma');
        expectClose(got[2], ref[2], 1e-4, 1e-4, 'dbeta');
      });

      it('geluBackward, including both tails', () => {
        for (const n of SIZES) {
          const x = randn(n, n, -12, 12);
          const dy = randn(n, n + 1);
          const dx = new Float32Array(n);
          const ref = new Float32Array(n);
          k().geluBackward(x, dy, dx);
          tsKernels.geluBackward(x, dy, ref);
          // gelu' crosses zero near x = -0.75, where only an absolute bound is meaningful.
          expectClose(dx, ref, 1e-4, 1e-6, `geluBackward n=${n}`);
        }
      });

      it('crossEntropy forward and backward over a GPT-2 vocabulary, honouring ignoreIndex', () => {
        for (const vocab of [1, 7, 769, 50257]) {
          const rows = vocab === 50257 ? 5 : 33;
          const logits = randn(rows * vocab, vocab, -10, 10);
          const targets = randInt(rows, rows, vocab);
          targets[1 % rows] = -100;
          const lse = new Float32Array(rows);
          const lseRef = new Float32Array(rows);
          const loss = k().crossEntropy(logits, targets, rows, vocab, -100, lse);
          const lossRef = tsKernels.crossEntropy(logits, targets, rows, vocab, -100, lseRef);
          expect(typeof loss).toBe('number');
          expect(Math.abs(loss - lossRef)).toBeLessThanOrEqual(1e-4 * Math.abs(lossRef) + 1e-4);
          expectClose(lse, lseRef, 1e-5, 1e-5, `lse vocab=${vocab}`);
          const d = randn(rows * vocab, 1);
          const dRef = new Float32Array(rows * vocab);
          k().crossEntropyBackward(logits, targets, lseRef, rows, vocab, -100, 1 / rows, d);
          tsKernels.crossEntropyBackward(logits, targets, lseRef, rows, vocab, -100, 1 / rows, dRef);
          expectClose(d, dRef, 1e-4, 1e-9, `dlogits vocab=${vocab}`);
        }
      });

      it('adamw matches PyTorch semantics of the reference', () => {
        for (const n of SIZES) {
          const param = randn(n, n);
          const grad = randn(n, n + 1);
          const m = randn(n, n + 2, -0.1, 0.1);
          const v = randn(n, n + 3, 0, 0.01);
          const ref = [Float32Array.from(param), Float32Array.from(m), Float32Array.from(v)] as const;
          const p = { lr: 6e-4, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, step: 3 };
          for (let s = 0; s < 3; s++) {
            k().adamw(param, grad, m, v, { ...p, step: p.step + s });
            tsKernels.adamw(ref[0], grad, ref[1], ref[2], { ...p, step: p.step + s });
          }
          expectClose(param, ref[0], 1e-5, 1e-7, `adamw param n=${n}`);
          expectClose(m, ref[1], 1e-5, 1e-8, 'adamw m');
          expectClose(v, ref[2], 1e-5, 1e-9, 'adamw v');
        }
      });

      it('sumSquares returns a number accumulated to float64 accuracy', () => {
        for (const n of [...SIZES, 1_000_003]) {
          const x = randn(n, n);
          const got = k().sumSquares(x);
          const ref = tsKernels.sumSquares(x);
          expect(Math.abs(got - ref)).toBeLessThanOrEqual(1e-5 * ref);
        }
      });
    });

    describe('decode kernels', () => {
      // bf16 bits of a float32 array (round to nearest even), for the bf16 weight cases.
      const toBf16 = (x: Float32Array): Uint16Array => {
        const bits = new Uint32Array(x.buffer.slice(0));
        return Uint16Array.from(bits, (b) => (b + 0x7fff + ((b >>> 16) & 1)) >>> 16);
      };
      const gemvCase = (rows: number, kk: number, n: number, seed: number, bf16: boolean): GemvParams => {
        const w = randn(n * kk, seed + 1);
        return {
          x: randn(rows * kk, seed),
          rows,
          k: kk,
          n,
          weight: bf16 ? toBf16(w) : w,
          bias: seed % 2 ? randn(n, seed + 2) : null,
          gelu: seed % 3 === 0,
          residual: seed % 4 === 1 ? randn(rows * n, seed + 3) : null,
          out: new Float32Array(rows * n),
        };
      };

      it('gemv without bias or activation equals a float64 product (x W^T)', () => {
        for (const [rows, kk, n] of [
          [1, 769, 33],
          [3, 127, 7],
          [5, 33, 769],
          [1, 1, 1],
        ]) {
          const p = { ...gemvCase(rows, kk, n, 6, false), bias: null, gelu: false, residual: null };
          k().gemv(p);
          const ref = matmulF64({
            a: p.x,
            b: p.weight as Float32Array,
            c: p.out,
            batch: 1,
            m: rows,
            k: kk,
            n,
            transA: false,
            transB: true,
            strideA: 0,
            strideB: 0,
            strideC: 0,
            accumulate: false,
          });
          expectClose(p.out, ref, 1e-4, 2e-6 * Math.sqrt(kk) + 1e-6, `gemv ${rows}x${kk}x${n}`);
        }
      });

      it('gemv with bias, GELU and residual on awkward sizes, f32 and bf16 weights, 1 and 2 threads', () => {
        const native = name === 'native' ? loadNative() : null;
        let seed = 1;
        try {
          for (const threads of native ? [1, 2] : [1])
            for (const bf16 of [false, true])
              for (const rows of [1, 2, 3, 4, 5, 9])
                for (const [kk, n] of [
                  [1, 3],
                  [7, 33],
                  [33, 7],
                  [127, 511],
                  [769, 127],
                ]) {
                  native?.setThreads(threads);
                  const p = gemvCase(rows, kk, n, seed++, bf16);
                  const ref = { ...p, out: new Float32Array(p.out.length) };
                  k().gemv(p);
                  tsKernels.gemv(ref);
                  const what = `gemv rows ${rows} k ${kk} n ${n} bf16 ${bf16} threads ${threads}`;
                  expectClose(p.out, ref.out, 1e-4, 2e-6 * Math.sqrt(kk) + 1e-6, what);
                }
        } finally {
          native?.setThreads(0);
        }
      });

      it('gemv: a row gives the same bits alone or among others, on 1 or 2 threads', () => {
        const native = name === 'native' ? loadNative() : null;
        try {
          for (const bf16 of [false, true])
            for (const [kk, n] of [
              [769, 33],
              [768, 768],
              [33, 7],
            ]) {
              const batch = gemvCase(7, kk, n, 3, bf16);
              native?.setThreads(2);
              k().gemv(batch);
              for (let r = 0; r < 7; r++) {
                native?.setThreads(1 + (r % 2));
                const one = {
                  ...batch,
                  rows: 1,
                  x: batch.x.slice(r * kk, (r + 1) * kk),
                  residual: batch.residual?.slice(r * n, (r + 1) * n) ?? null,
                  out: new Float32Array(n),
                };
                k().gemv(one);
                expect(Array.from(one.out), `row ${r} k ${kk} n ${n} bf16 ${bf16}`).toEqual(
                  Array.from(batch.out.subarray(r * n, (r + 1) * n)),
                );
              }
            }
        } finally {
          native?.setThreads(0);
        }
      });

      it('gemv: the residual may be the output array (the shortcut add in place)', () => {
        const p = { ...gemvCase(2, 769, 768, 5, false), gelu: false };
        const residual = randn(2 * 768, 9);
        const ref = { ...p, residual, out: new Float32Array(2 * 768) };
        tsKernels.gemv(ref);
        const out = Float32Array.from(residual);
        k().gemv({ ...p, residual: out, out });
        expectClose(out, ref.out, 1e-4, 2e-6 * Math.sqrt(769) + 1e-6, 'gemv in place');
      });

      it('attendCached matches the reference over causal rows, batches and heads', () => {
        for (const [batch, heads, hs, maxLength, start, tokens] of [
          [1, 1, 1, 1, 0, 1],
          [1, 12, 64, 40, 17, 1],
          [2, 3, 7, 33, 5, 9],
          [1, 4, 33, 300, 0, 257],
        ]) {
          const C = heads * hs;
          const keys = randn(batch * heads * maxLength * hs, 11, -2, 2);
          const values = randn(batch * heads * maxLength * hs, 12);
          const q = randn(batch * tokens * C, 13, -2, 2);
          const p = { q, keys, values, batch, heads, headDim: hs, maxLength, start, tokens };
          const out = new Float32Array(batch * tokens * C);
          const ref = new Float32Array(batch * tokens * C);
          k().attendCached({ ...p, out });
          tsKernels.attendCached({ ...p, out: ref });
          expectClose(out, ref, 1e-4, 1e-5, `attendCached ${JSON.stringify(p.headDim)} ${start}+${tokens}`);
          // out may be q itself (one head's query row is read in full before its output is written).
          const inPlace = Float32Array.from(q);
          k().attendCached({ ...p, q: inPlace, out: inPlace });
          expectClose(inPlace, ref, 1e-4, 1e-5, 'attendCached in place');
        }
      });

      it('attendCached with fewer cached heads (grouped queries) and its own scale', () => {
        for (const [batch, heads, kvHeads, hs, maxLength, start, tokens] of [
          [1, 8, 2, 16, 40, 17, 1],
          [2, 6, 3, 7, 33, 5, 4],
          [1, 4, 1, 64, 300, 200, 1],
        ]) {
          const group = heads / kvHeads;
          const keys = randn(batch * kvHeads * maxLength * hs, 21, -2, 2);
          const values = randn(batch * kvHeads * maxLength * hs, 22);
          const q = randn(batch * tokens * heads * hs, 23, -2, 2);
          // The same cache with each head repeated for its group: what grouped queries must read.
          const repeat = (x: Float32Array) => {
            const out = new Float32Array(batch * heads * maxLength * hs);
            for (let b = 0; b < batch; b++)
              for (let h = 0; h < heads; h++) {
                const from = (b * kvHeads + Math.floor(h / group)) * maxLength * hs;
                out.set(x.subarray(from, from + maxLength * hs), (b * heads + h) * maxLength * hs);
              }
            return out;
          };
          const p = { q, batch, heads, headDim: hs, maxLength, start, tokens };
          const grouped = new Float32Array(q.length);
          k().attendCached({ ...p, keys, values, kvHeads, out: grouped });
          const repeated = new Float32Array(q.length);
          k().attendCached({ ...p, keys: repeat(keys), values: repeat(values), out: repeated });
          expect(Array.from(grouped), `${heads}/${kvHeads} heads`).toEqual(Array.from(repeated));
          // A scale s is the default scale 1/sqrt(hs) on queries multiplied by s * sqrt(hs).
          const scaled = new Float32Array(q.length);
          k().attendCached({ ...p, keys, values, kvHeads, scale: 0.3, out: scaled });
          const ref = new Float32Array(q.length);
          const factor = 0.3 * Math.sqrt(hs);
          k().attendCached({ ...p, q: q.map((v) => v * factor), keys, values, kvHeads, out: ref });
          expectClose(scaled, ref, 1e-4, 1e-5, `scale ${heads}/${kvHeads}`);
        }
        expect(() =>
          k().attendCached({
            q: new Float32Array(6),
            keys: new Float32Array(30),
            values: new Float32Array(30),
            out: new Float32Array(6),
            batch: 1,
            heads: 3,
            kvHeads: 2,
            headDim: 2,
            maxLength: 5,
            start: 0,
            tokens: 1,
          }),
        ).toThrow(/heads \(3\) must be a multiple of params.kvHeads \(2\)/);
      });

      it('attendCached: the first position attends to itself alone (its value row)', () => {
        const values = randn(2 * 5 * 3, 4);
        const out = new Float32Array(2 * 3);
        k().attendCached({
          q: randn(6, 1),
          keys: randn(30, 2),
          values,
          out,
          batch: 1,
          heads: 2,
          headDim: 3,
          maxLength: 5,
          start: 0,
          tokens: 1,
        });
        expectClose(
          out,
          [...values.subarray(0, 3), ...values.subarray(15, 18)],
          1e-6,
          1e-7,
          'first position',
        );
      });
    });

    describe('large inputs (the threaded paths)', () => {
      it('elementwise, softmax and copy over a million elements', () => {
        const n = 1 << 20;
        const x = randn(n, 1, -4, 4);
        const b = randn(768, 2);
        const out = new Float32Array(n);
        const ref = new Float32Array(n);
        // (rows, 768) + a bias row: the shape of every linear layer's bias add.
        const rows = Math.floor(n / 768);
        k().binary('add', x, [768, 1], b, [0, 1], out, [rows, 768]);
        tsKernels.binary('add', x, [768, 1], b, [0, 1], ref, [rows, 768]);
        expectClose(out.subarray(0, rows * 768), ref.subarray(0, rows * 768), 1e-6, 1e-7, 'bias add');
        k().unary('gelu', x, out);
        tsKernels.unary('gelu', x, ref);
        expectClose(out, ref, 1e-4, 1e-6, 'gelu');
        k().softmax(x, 1024, 1024, out, false);
        tsKernels.softmax(x, 1024, 1024, ref, false);
        expectClose(out, ref, 1e-4, 1e-9, 'softmax');
        k().copyStrided(x, 0, [1, 1024], out, 0, [1024, 1], [1024, 1024]);
        tsKernels.copyStrided(x, 0, [1, 1024], ref, 0, [1024, 1], [1024, 1024]);
        expectClose(out, ref, 0, 0, 'copyStrided');
      });
    });

    if (name === 'native') {
      describe('argument checks', () => {
        it('throws instead of reading past a buffer', () => {
          const small = new Float32Array(4);
          expect(() =>
            k().matmul({
              ...gemmParams({ batch: 1, m: 3, k: 3, n: 3, transA: false, transB: false }, 1),
              a: small,
            }),
          ).toThrow(/too short/);
          expect(() => k().binary('add', small, [1], small, [1], small, [5])).toThrow(/too short/);
          expect(() => k().indexSelect(small, 1, 4, 1, new Int32Array([4]), small)).toThrow(/out of range/);
          expect(() => k().unary('nope' as 'neg', small, small)).toThrow(/unknown unary op/);
          const gemv = { x: small, rows: 1, k: 4, n: 2, bias: null, gelu: false, residual: null, out: small };
          expect(() => k().gemv({ ...gemv, weight: small })).toThrow(/params.weight is too short/);
          expect(() => k().gemv({ ...gemv, weight: new Int32Array(8) as unknown as Float32Array })).toThrow(
            /Uint16Array/,
          );
          const attend = { q: small, keys: small, values: small, out: small, batch: 1, heads: 1, headDim: 1 };
          expect(() => k().attendCached({ ...attend, maxLength: 4, start: 4, tokens: 1 })).toThrow(
            /exceeds maxLength/,
          );
        });
      });

      describe('huge pages (decode weights and the bandwidth probe)', () => {
        it('adviseHugePages keeps the contents of the array and of the memory around it', () => {
          const native = loadNative()!;
          // Arrays beside each other: the advice is rounded out to 2 MiB and may take in the others.
          const arrays = [1, 3, 5, 2].map((mb, i) => {
            const a = new Float32Array((mb * 1024 * 1024) / 4 + 3);
            for (let j = 0; j < a.length; j++) a[j] = (j * 7919 + i) % 65521;
            return a;
          });
          const copies = arrays.map((a) => a.slice());
          const view = arrays[1].subarray(1001, arrays[1].length - 17);
          for (const [array, bytes] of [
            [view, view.byteLength],
            [arrays[2], arrays[2].byteLength],
          ] as const) {
            const covered = native.adviseHugePages(array);
            expect(Number.isInteger(covered)).toBe(true);
            expect(covered).toBeGreaterThanOrEqual(0);
            expect(covered).toBeLessThanOrEqual(bytes);
          }
          // bf16 weights are advised the same way.
          const u16 = new Uint16Array(3 * 1024 * 1024).fill(0x3f80);
          expect(native.adviseHugePages(u16)).toBeLessThanOrEqual(u16.byteLength);
          expect(u16.findIndex((b) => b !== 0x3f80)).toBe(-1);
          // The first element that differs, or -1 (toEqual on millions of elements takes minutes).
          const firstChange = (a: Float32Array, b: Float32Array) => a.findIndex((v, j) => v !== b[j]);
          arrays.forEach((a, i) => expect(firstChange(a, copies[i]), `array ${i}`).toBe(-1));
          expect(() => native.adviseHugePages([1, 2] as unknown as Float32Array)).toThrow(/typed array/);
        });

        it('the read-bandwidth probe runs on either page size and checks its arguments', () => {
          const native = loadNative()!;
          expect(native.readBandwidth(64, 1, false)).toBeGreaterThan(0);
          expect(native.readBandwidth(64, 1, true)).toBeGreaterThan(0);
          expect(() => (native.readBandwidth as (mb: number, r: number) => number)(64, 1)).toThrow(
            /argument 2 must be a boolean/,
          );
          expect(() => native.readBandwidth(0, 1, true)).toThrow(/megabytes/);
        });

        it("the update-bandwidth probe (AdamW's limit) runs and checks its arguments", () => {
          const native = loadNative()!;
          expect(native.updateBandwidth(16, 2)).toBeGreaterThan(0);
          expect(() => native.updateBandwidth(0, 1)).toThrow(/megabytes/);
          expect(() => native.updateBandwidth(16, 0)).toThrow(/repeats/);
        });
      });

      describe('memory', () => {
        it('100,000 small kernel calls leave RSS flat', () => {
          const x = randn(64, 1);
          const y = new Float32Array(64);
          const idx = new Int32Array([1, 3, 5]);
          const sel = new Float32Array(3 * 8);
          const t = new Int32Array([1, 2]);
          const lse = new Float32Array(2);
          const a = randn(16, 2);
          const c = new Float32Array(16);
          const run = (count: number): void => {
            for (let i = 0; i < count; i++) {
              k().unary('gelu', x, y);
              k().binary('add', x, [8, 1], x, [0, 1], y, [8, 8]);
              k().indexSelect(x, 1, 8, 8, idx, sel);
              k().crossEntropy(x, t, 2, 32, -100, lse);
              k().matmul({
                a,
                b: a,
                c,
                batch: 1,
                m: 4,
                k: 4,
                n: 4,
                transA: false,
                transB: true,
                strideA: 0,
                strideB: 0,
                strideC: 0,
                accumulate: false,
              });
            }
          };
          run(10_000);
          const before = process.memoryUsage.rss();
          run(100_000);
          const grown = process.memoryUsage.rss() - before;
          // A leak of even 100 bytes per call would add 50 MB; V8's own heap noise is a few MB.
          expect(grown).toBeLessThan(50 * 1024 * 1024);
        });
      });

      describe('every instruction set this CPU can run', () => {
        it('the portable, AVX2 and AVX-512 builds of the elementwise, nn, decode and attention kernels agree (child processes)', () => {
          if (!existsSync(addonPath())) return;
          const script = join(import.meta.dirname, 'scripts', 'nn-kernels.mjs');
          const outputs = (isa: string | undefined) => {
            const env = { ...process.env, LLM_SCRATCH_ISA: isa };
            if (isa === undefined) delete env.LLM_SCRATCH_ISA;
            const text = execFileSync(process.execPath, [script, addonPath()], {
              env,
              encoding: 'utf8',
              maxBuffer: 64 << 20,
            });
            return JSON.parse(text) as { isa: string; out: Record<string, number[]> };
          };
          const portable = outputs('scalar');
          const best = outputs(undefined);
          expect(portable.isa).toBe('scalar');
          // On a CPU with AVX-512 the AVX2 build runs too, asked for by name.
          const others = best.isa.startsWith('avx512') ? [best, outputs('avx2')] : [best];
          for (const other of others) {
            expect(Object.keys(other.out)).toEqual(Object.keys(portable.out));
            for (const [name, want] of Object.entries(portable.out)) {
              const got = other.out[name];
              const scale = Math.max(1, ...want.map(Math.abs));
              let worst = 0;
              for (let i = 0; i < want.length; i++)
                worst = Math.max(worst, Math.abs(got[i] - want[i]) / scale);
              expect(worst, `${name} on ${other.isa}`).toBeLessThan(1e-5);
            }
          }
        });

        // The default AVX2 and AVX-512 micro-kernels are assembly; the C++ ones (one source for
        // both) and the portable one run only when asked, so each gets a child process of its own.
        it.each([
          ['scalar', { LLM_SCRATCH_ISA: 'scalar' }, 'scalar 4x8'],
          ['C++ AVX2', { LLM_SCRATCH_ISA: 'avx2', LLM_SCRATCH_GEMM_KERNEL: 'c' }, 'avx2 6x16'],
          ['C++ AVX-512', { LLM_SCRATCH_GEMM_KERNEL: 'c' }, 'avx512 12x32'],
          ['assembly AVX2', { LLM_SCRATCH_ISA: 'avx2' }, 'avx2 6x16 asm'],
          ['assembly AVX-512', {}, 'avx512 12x32 asm'],
        ])('the %s GEMM kernel matches, inside C only (in a child process)', (_, env, kernel) => {
          if (!existsSync(addonPath())) return;
          const isa = loadNative()?.info().isa;
          if (kernel.startsWith('avx2') && isa !== 'avx2+fma' && isa !== 'avx512') return;
          if (kernel.startsWith('avx512') && isa !== 'avx512') return;
          const script = `
            const k = require(${JSON.stringify(addonPath())});
            if (k.info().gemmKernel !== ${JSON.stringify(kernel)}) throw new Error('kernel ' + k.info().gemmKernel);
            let worst = 0;
            // m past a multiple of every tile height (12, 6, 4), so the last row tile is partial, and
            // C between NaN guards that must stay NaN: no tile may store rows or columns past C.
            for (const [m, kk, n, ta, tb, acc] of [[33, 127, 7, 0, 1, 0], [127, 33, 769, 1, 0, 1], [7, 769, 33, 1, 1, 0], [1, 3, 1, 0, 0, 1], [61, 520, 50, 0, 0, 1], [20, 300, 64, 0, 0, 0], [531, 40, 96, 0, 0, 1]]) {
              const a = Float32Array.from({ length: m * kk }, (_, i) => Math.sin(i));
              const b = Float32Array.from({ length: kk * n }, (_, i) => Math.cos(i));
              const guard = 64 * n;
              const buffer = new Float32Array(guard + m * n + guard).fill(NaN);
              const c = buffer.subarray(guard, guard + m * n);
              c.set(Float32Array.from({ length: m * n }, (_, i) => Math.sin(3 * i)));
              const c0 = c.slice();
              k.matmul({ a, b, c, batch: 1, m, k: kk, n, transA: !!ta, transB: !!tb, strideA: 0, strideB: 0, strideC: 0, accumulate: !!acc });
              for (let i = 0; i < guard; i++)
                if (!Number.isNaN(buffer[i]) || !Number.isNaN(buffer[guard + m * n + i])) throw new Error('a write outside C in ' + [m, kk, n]);
              for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
                let s = acc ? c0[i * n + j] : 0;
                for (let p = 0; p < kk; p++) s += (ta ? a[p * m + i] : a[i * kk + p]) * (tb ? b[j * kk + p] : b[p * n + j]);
                worst = Math.max(worst, Math.abs(c[i * n + j] - s) / (1 + Math.abs(s)));
              }
            }
            process.stdout.write(String(worst));
          `;
          const out = execFileSync(process.execPath, ['-e', script], {
            env: { ...process.env, ...env },
            encoding: 'utf8',
          });
          expect(Number(out)).toBeLessThan(1e-4);
        });
      });
    }
  });
}
