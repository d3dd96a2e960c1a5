// matmul with B given as bfloat16 bits (a weight kept in bf16: the prefill of a model loaded with
// dtype bf16): on every backend, bit for bit the product with B widened to float32 first. The
// native GEMM widens while it packs (the AVX2 packs of either layout, the generic loop for the
// tails), on one thread and on the shared-B threads, with the epilogue.
import { describe, expect, it } from 'vitest';
import { toBf16, widenBf16 } from '../../src/backend/bf16.js';
import { kernels } from '../../src/backend/index.js';
import type { MatmulParams } from '../../src/backend/kernels.js';
import { loadNative } from '../../src/backend/native.js';
import { describeEachBackend } from '../helpers/backends.js';
import { uniformArray } from '../helpers/random.js';

const randn = uniformArray;

interface Case {
  m: number;
  k: number;
  n: number;
  transB: boolean;
  batch?: number;
  broadcastB?: boolean;
  epilogue?: boolean;
  accumulate?: boolean;
}

const CASES: Case[] = [
  // A Linear layer's prefill (B^T, the (out, in) layout): full panels, tails of the 16-wide panels
  // and of the 8-deep transposes, k past one KC block, and rows enough for the shared-B threads.
  { m: 13, k: 64, n: 48, transB: true },
  { m: 9, k: 37, n: 21, transB: true, epilogue: true },
  { m: 200, k: 300, n: 70, transB: true, epilogue: true },
  { m: 7, k: 520, n: 33, transB: true, accumulate: true },
  // The untransposed layout and a batch sharing one B.
  { m: 11, k: 19, n: 45, transB: false, batch: 3, broadcastB: true },
  { m: 40, k: 300, n: 100, transB: false, epilogue: true },
];

function product(c: Case, b: Float32Array | Uint16Array): Float32Array {
  const batch = c.batch ?? 1;
  const out = randn(batch * c.m * c.n, 3);
  const p: Omit<MatmulParams, 'b'> = {
    a: randn(batch * c.m * c.k, 1),
    c: out,
    batch,
    m: c.m,
    k: c.k,
    n: c.n,
    transA: false,
    transB: c.transB,
    strideA: c.m * c.k,
    strideB: c.broadcastB ? 0 : c.k * c.n,
    strideC: c.m * c.n,
    accumulate: c.accumulate ?? false,
    ...(c.epilogue ? { bias: randn(c.n, 4), gelu: true, residual: randn(batch * c.m * c.n, 5) } : {}),
  };
  kernels().matmul({ ...p, b });
  return out;
}

describeEachBackend('matmul with bf16 bits for B', () => {
  for (const c of CASES) {
    it(`m ${c.m}, k ${c.k}, n ${c.n}, ${c.transB ? 'B^T' : 'B'}${c.epilogue ? ', epilogue' : ''}${c.accumulate ? ', accumulate' : ''}${c.batch ? `, batch ${c.batch}` : ''}`, () => {
      const count = (c.broadcastB ? 1 : (c.batch ?? 1)) * c.k * c.n;
      const bits = toBf16(randn(count, 2));
      const widened = new Float32Array(count);
      widenBf16(bits, widened);
      expect(Array.from(product(c, bits))).toEqual(Array.from(product(c, widened)));
    });
  }
});

describe.runIf(loadNative() !== null)('the native binding', () => {
  const base = { c: new Float32Array(4), batch: 1, m: 2, k: 2, n: 2, transA: false, transB: true };
  const strides = { strideA: 0, strideB: 0, strideC: 0, accumulate: false };
  const native = () => loadNative()! as unknown as Record<string, (p: unknown) => void>;
  it('checks B in bf16 like B in float32, and only matmul takes it', () => {
    const a = new Float32Array(4);
    expect(() => native().matmul({ ...base, ...strides, a, b: new Uint16Array(3) })).toThrow(/params\.b/);
    expect(() => native().matmul({ ...base, ...strides, a, b: new Int32Array(4) })).toThrow(
      'params.b must be a Float32Array or a Uint16Array of bf16 bits',
    );
    expect(() => native().matmulBf16({ ...base, ...strides, a, b: new Uint16Array(4) })).toThrow(
      'params.b must be a Float32Array',
    );
  });
});
