// The native SGEMM gives the same bits on 1 and on 2 threads. With 2 threads on cores that share a
// cache, a product tall enough for a full A block per thread runs the shared-B path of gemm.cc (the
// threads pack each B block together and split C's rows); a shorter one, or any on distant cores,
// the column split of gemm_split.h; either must sum every element in the one-thread order. Both
// paths run here whatever the machine's cores, through LLM_SCRATCH_SHARED_CACHE. The shapes are multiples of no register or cache block,
// span several passes over k and several B blocks over n, with every layout, accumulate and the
// epilogue. A sample of elements is also checked against a float64 sum, so that two equally
// wrong results cannot pass.
import { afterAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/index.js';
import type { MatmulParams } from '../../src/backend/kernels.js';
import { loadNative } from '../../src/backend/native.js';

function uniform(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (2 * s) / 4294967296 - 1;
  });
}

interface Case {
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
  accumulate: boolean;
  epilogue: boolean;
}

function params(c: Case, seed: number): MatmulParams {
  const size = c.m * c.n;
  return {
    a: uniform(c.m * c.k, seed),
    b: uniform(c.k * c.n, seed + 1),
    c: uniform(size, seed + 2),
    batch: 1,
    m: c.m,
    k: c.k,
    n: c.n,
    transA: c.transA,
    transB: c.transB,
    strideA: 0,
    strideB: 0,
    strideC: 0,
    accumulate: c.accumulate,
    bias: c.epilogue ? uniform(c.n, seed + 3) : null,
    gelu: c.epilogue,
    preact: c.epilogue ? new Float32Array(size) : null,
    residual: c.epilogue ? uniform(size, seed + 4) : null,
  };
}

// Element (i, j) of the product before the epilogue, [+ C], in float64.
function product(p: MatmulParams, before: Float32Array, i: number, j: number): number {
  let s = p.accumulate ? before[i * p.n + j] : 0;
  for (let q = 0; q < p.k; q++) {
    const av = p.transA ? p.a[q * p.m + i] : p.a[i * p.k + q];
    const bv = p.transB ? p.b[j * p.k + q] : p.b[q * p.n + j];
    s += av * bv;
  }
  return s + (p.bias ? p.bias[j] : 0);
}

const native = loadNative();

describe.skipIf(!native)('native matmul on 1 and 2 threads', () => {
  const sharedCache = process.env.LLM_SCRATCH_SHARED_CACHE;
  afterAll(() => {
    native?.setThreads(0);
    if (sharedCache === undefined) delete process.env.LLM_SCRATCH_SHARED_CACHE;
    else process.env.LLM_SCRATCH_SHARED_CACHE = sharedCache;
  });

  it('says how far apart its threads are and how they split a product', () => {
    native!.setThreads(2);
    const measured = native!.info();
    expect(measured.coreLatencyNs).toBeGreaterThanOrEqual(0);
    expect(measured.coreLatencyNs).toBeLessThan(1e6);
    process.env.LLM_SCRATCH_SHARED_CACHE = '0';
    expect(native!.info().gemmThreads).toBe('each thread packs its own blocks');
    process.env.LLM_SCRATCH_SHARED_CACHE = '1';
    expect(native!.info().gemmThreads).toBe('threads share packed B blocks');
    native!.setThreads(1);
    expect(native!.info().gemmThreads).toBe('one thread');
  });

  it.each([
    ['cores sharing a cache', '1'],
    ['distant cores', '0'],
  ])('gives the same bits on the shared-B path and the column split, every layout (%s)', (_, shared) => {
    process.env.LLM_SCRATCH_SHARED_CACHE = shared;
    const { mc, kc, nc } = native!.info().gemmBlocks;
    // Tall enough for the shared path at 2 threads (a full A block per thread), in equal blocks
    // that are not multiples of the register block.
    const tall = 2 * mc + 37;
    const k = 2 * kc + 45;
    const n = nc + 53;
    let seed = 1;
    for (const [m, accumulate, epilogue] of [
      [tall, false, false],
      [tall, true, true],
      [29, false, true],
    ] as const)
      for (const transA of [false, true])
        for (const transB of [false, true]) {
          const c: Case = { m, k, n, transA, transB, accumulate, epilogue };
          const what = JSON.stringify(c);
          const one = params(c, seed);
          const two = params(c, seed);
          seed += 10;
          const before = Float32Array.from(one.c);
          native!.setThreads(1);
          useBackend('native').matmul(one);
          native!.setThreads(2);
          useBackend('native').matmul(two);
          expect(Buffer.from(two.c.buffer).equals(Buffer.from(one.c.buffer)), `${what} output`).toBe(true);
          if (one.preact)
            expect(
              Buffer.from(two.preact!.buffer).equals(Buffer.from(one.preact.buffer)),
              `${what} preact`,
            ).toBe(true);
          // Corners, edges past the last full tile and block, and a stride through the middle.
          const target = one.preact ?? one.c;
          for (const i of [0, 1, m >> 1, m - 1])
            for (const j of [0, 17, nc - 1, nc, n - 1]) {
              const ref = product(one, before, i, j);
              expect(Math.abs(target[i * n + j] - ref), `${what} (${i}, ${j})`).toBeLessThanOrEqual(
                4e-6 * Math.sqrt(k) + 2e-6 + 2e-6 * Math.abs(ref),
              );
            }
        }
  });
});
