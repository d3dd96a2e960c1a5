// The GEMM epilogue (bias, GELU, residual, and the kept pre-activation) on every available backend,
// against a float64 product followed by the same steps in float64. Sizes are multiples of no
// register or cache block, and k = 769 spans several passes over k (the epilogue must run once,
// after the last), with batches, transposes and accumulate.
import { describe, expect, it } from 'vitest';
import { availableBackends, useBackend } from '../../src/backend/index.js';
import type { Kernels, MatmulParams } from '../../src/backend/kernels.js';
import { uniformArray } from '../helpers/random.js';

const uniform = uniformArray;

const geluF64 = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

interface Case {
  batch: number;
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
  bias: boolean;
  gelu: boolean;
  residual: boolean;
  accumulate?: boolean;
}

function params(c: Case, seed: number): MatmulParams {
  const size = c.batch * c.m * c.n;
  return {
    a: uniform(c.batch * c.m * c.k, seed),
    b: uniform(c.batch * c.k * c.n, seed + 1),
    c: uniform(size, seed + 2),
    batch: c.batch,
    m: c.m,
    k: c.k,
    n: c.n,
    transA: c.transA,
    transB: c.transB,
    strideA: c.m * c.k,
    strideB: c.k * c.n,
    strideC: c.m * c.n,
    accumulate: c.accumulate ?? false,
    bias: c.bias ? uniform(c.n, seed + 3) : null,
    gelu: c.gelu,
    preact: c.gelu ? new Float32Array(size) : null,
    residual: c.residual ? uniform(size, seed + 4) : null,
  };
}

// Returns [the pre-activation, the output] in float64.
function reference(p: MatmulParams, before: Float32Array): [Float64Array, Float64Array] {
  const pre = new Float64Array(p.batch * p.m * p.n);
  const out = new Float64Array(pre.length);
  for (let bi = 0; bi < p.batch; bi++)
    for (let i = 0; i < p.m; i++)
      for (let j = 0; j < p.n; j++) {
        const at = bi * p.strideC + i * p.n + j;
        let s = p.accumulate ? before[at] : 0;
        for (let q = 0; q < p.k; q++) {
          const av = p.transA ? p.a[bi * p.strideA + q * p.m + i] : p.a[bi * p.strideA + i * p.k + q];
          const bv = p.transB ? p.b[bi * p.strideB + j * p.k + q] : p.b[bi * p.strideB + q * p.n + j];
          s += av * bv;
        }
        if (p.bias) s += p.bias[j];
        pre[at] = s;
        out[at] = (p.gelu ? geluF64(s) : s) + (p.residual ? p.residual[at] : 0);
      }
  return [pre, out];
}

function expectNear(actual: ArrayLike<number>, expected: Float64Array, atol: number, what: string): void {
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= worst)) [worst, at] = [d, i];
  }
  expect(worst, `${what}: worst at ${at}, got ${actual[at]}, expected ${expected[at]}`).toBeLessThanOrEqual(
    atol,
  );
}

function check(k: Kernels, c: Case, seed: number): void {
  const p = params(c, seed);
  const before = Float32Array.from(p.c);
  k.matmul(p);
  const [pre, out] = reference(p, before);
  // Inputs in [-1, 1]: a k-term float sum is off by about sqrt(k) ulps of its terms.
  const atol = 4e-6 * Math.sqrt(c.k) + 2e-6;
  const what = JSON.stringify(c);
  expectNear(p.c, out, atol, `${what} output`);
  if (p.preact) expectNear(p.preact, pre, atol, `${what} preact`);
}

const available = availableBackends();

for (const name of ['ts', 'native'] as const) {
  describe.skipIf(!available.includes(name))(`matmul epilogue [${name}]`, () => {
    const k = (): Kernels => useBackend(name);

    it('applies bias, GELU and the residual on every layout and edge tile', () => {
      let seed = 1;
      for (const [m, kk, n] of [
        [7, 33, 19],
        [13, 769, 35],
        [1, 5, 1],
      ])
        for (const transA of [false, true])
          for (const transB of [false, true])
            for (const [bias, gelu, residual] of [
              [true, false, false],
              [true, true, false],
              [false, true, true],
              [true, false, true],
              [true, true, true],
            ])
              check(k(), { batch: 1, m, k: kk, n, transA, transB, bias, gelu, residual }, seed++);
    });

    it('runs it on a GPT-sized product split among threads, on batches and after accumulate', () => {
      const all = { bias: true, gelu: true, residual: true };
      check(k(), { batch: 1, m: 130, k: 300, n: 770, transA: false, transB: true, ...all }, 100);
      check(k(), { batch: 1, m: 1030, k: 40, n: 70, transA: false, transB: true, ...all }, 101);
      check(k(), { batch: 3, m: 33, k: 17, n: 41, transA: true, transB: false, ...all }, 102);
      check(
        k(),
        { batch: 2, m: 9, k: 20, n: 17, transA: false, transB: false, ...all, accumulate: true },
        103,
      );
    });

    it('applies it to the zero product when k = 0', () => {
      check(
        k(),
        { batch: 2, m: 3, k: 0, n: 7, transA: false, transB: false, bias: true, gelu: true, residual: true },
        200,
      );
    });

    it('equals the unfused ops (matmul, add, gelu, add) within rounding', () => {
      const p = params(
        {
          batch: 1,
          m: 64,
          k: 768,
          n: 300,
          transA: false,
          transB: true,
          bias: true,
          gelu: true,
          residual: true,
        },
        300,
      );
      k().matmul(p);
      const y = new Float32Array(p.m * p.n);
      k().matmul({ ...p, c: y, bias: null, gelu: false, preact: null, residual: null });
      k().binary('add', y, [p.n, 1], p.bias!, [0, 1], y, [p.m, p.n]);
      k().unary('gelu', y, y);
      k().binary('add', y, [p.n, 1], p.residual!, [p.n, 1], y, [p.m, p.n]);
      let worst = 0;
      for (let i = 0; i < y.length; i++)
        worst = Math.max(worst, Math.abs(y[i] - p.c[i]) / (Math.abs(y[i]) + 1e-3));
      expect(worst).toBeLessThan(1e-5);
    });
  });
}

describe.skipIf(!available.includes('native'))('matmul epilogue misuse [native]', () => {
  const base = () =>
    params(
      { batch: 1, m: 4, k: 3, n: 5, transA: false, transB: false, bias: true, gelu: true, residual: true },
      9,
    );

  it('rejects a preact buffer without GELU, a short bias and a residual that overlaps C', () => {
    const k = useBackend('native');
    expect(() => k.matmul({ ...base(), gelu: false })).toThrow(
      /params\.preact is only written with params\.gelu/,
    );
    expect(() => k.matmul({ ...base(), bias: new Float32Array(4) })).toThrow(/params\.bias/);
    const p = base();
    expect(() => k.matmul({ ...p, residual: p.c })).toThrow(/must not overlap params\.c/);
  });
});
