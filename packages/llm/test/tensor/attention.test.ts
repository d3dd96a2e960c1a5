// The fused causal attention op against the composition it replaces (matmul, causal mask, scale,
// softmax, matmul, with the heads split and merged by copies), forward and all three gradients, on
// both backends; against finite differences; and the native kernel's independence of the thread count.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadNative } from '../../src/backend/native.js';
import * as T from '../../src/tensor/index.js';
import { Rng, Tensor } from '../../src/tensor/index.js';
import { describeEachBackend } from '../helpers/backends.js';
import { gradCheck } from '../helpers/gradcheck.js';

interface Shape {
  batch: number;
  tokens: number;
  heads: number;
  kvHeads: number;
  headDim: number;
}

function composed(q: Tensor, k: Tensor, v: Tensor, heads: number, kvHeads: number): Tensor {
  const [B, Tn, width] = q.shape;
  const D = width / heads;
  const split = (x: Tensor, h: number) => x.view([B, Tn, h, D]).transpose(1, 2);
  const group = heads / kvHeads;
  const keys = T.repeatInterleave(split(k, kvHeads), group, 1);
  const values = T.repeatInterleave(split(v, kvHeads), group, 1);
  const mask = T.triu(T.ones([Tn, Tn]), 1);
  const weights = split(q, heads)
    .matmul(keys, { transB: true })
    .maskedFill(mask, -Infinity)
    .div(Math.sqrt(D))
    .softmax(-1);
  return weights.matmul(values).transpose(1, 2).reshape([B, Tn, width]);
}

function inputs(s: Shape, seed: number): [Tensor, Tensor, Tensor] {
  const rng = new Rng(seed);
  const q = T.randn([s.batch, s.tokens, s.heads * s.headDim], { rng });
  const k = T.randn([s.batch, s.tokens, s.kvHeads * s.headDim], { rng });
  const v = T.randn([s.batch, s.tokens, s.kvHeads * s.headDim], { rng });
  return [q, k, v];
}

function expectClose(got: Tensor, want: Tensor, what: string, atol = 2e-5, rtol = 1e-4): void {
  expect(got.shape).toEqual(want.shape);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < got.size; i++) {
    const excess = Math.abs(got.data[i] - want.data[i]) - (atol + rtol * Math.abs(want.data[i]));
    if (excess > worst) [worst, at] = [excess, i];
  }
  if (at >= 0)
    expect.fail(`${what}: element ${at} is ${got.data[at]}, the composition gives ${want.data[at]}`);
}

// Forward and the gradients of sum(out * w) with respect to q, k and v, fused and composed.
function compare(s: Shape, seed: number): void {
  const label = JSON.stringify(s);
  const run = (fused: boolean) => {
    const [q, k, v] = inputs(s, seed).map((t) => t.requiresGrad_());
    const out = fused
      ? T.causalAttention(q, k, v, { heads: s.heads, kvHeads: s.kvHeads })
      : composed(q, k, v, s.heads, s.kvHeads);
    out.backward(T.randn(out.shape, { rng: new Rng(seed + 1) }));
    return [out.detach(), q.grad!, k.grad!, v.grad!];
  };
  const fused = run(true);
  const reference = run(false);
  ['out', 'dq', 'dk', 'dv'].forEach((name, i) => expectClose(fused[i], reference[i], `${name} ${label}`));
}

const shapes: Shape[] = [
  { batch: 1, tokens: 1, heads: 1, kvHeads: 1, headDim: 64 },
  { batch: 2, tokens: 1, heads: 3, kvHeads: 3, headDim: 5 },
  { batch: 2, tokens: 9, heads: 2, kvHeads: 2, headDim: 64 },
  // Past one 64-row block, not a multiple of it, and a head size with a tail past the vectors.
  { batch: 1, tokens: 67, heads: 2, kvHeads: 2, headDim: 17 },
  { batch: 2, tokens: 130, heads: 2, kvHeads: 2, headDim: 64 },
  { batch: 1, tokens: 33, heads: 1, kvHeads: 1, headDim: 1 },
  // Grouped-query attention: two and four query heads per kv head.
  { batch: 2, tokens: 70, heads: 4, kvHeads: 2, headDim: 24 },
  { batch: 1, tokens: 20, heads: 4, kvHeads: 1, headDim: 8 },
];

describeEachBackend('causalAttention', () => {
  for (const s of shapes) {
    it(`matches the composed attention and its gradients for ${JSON.stringify(s)}`, () => compare(s, 3));
  }

  it('matches on random shapes', () => {
    const shape = fc.record({
      batch: fc.integer({ min: 1, max: 2 }),
      tokens: fc.integer({ min: 1, max: 80 }),
      kvHeads: fc.integer({ min: 1, max: 2 }),
      group: fc.integer({ min: 1, max: 2 }),
      headDim: fc.integer({ min: 1, max: 40 }),
    });
    fc.assert(
      fc.property(shape, fc.integer({ min: 0, max: 1000 }), (r, seed) =>
        compare({ ...r, heads: r.kvHeads * r.group }, seed),
      ),
      { seed: 42, numRuns: 12 },
    );
  });

  it('has the gradients of finite differences', () => {
    const s = { batch: 2, tokens: 5, heads: 2, kvHeads: 1, headDim: 3 };
    gradCheck((q, k, v) => T.causalAttention(q, k, v, { heads: 2, kvHeads: 1 }), inputs(s, 11), {
      atol: 3e-3,
    });
  });

  it('the first position returns its own value row, and a custom scale is applied', () => {
    const [q, k, v] = inputs({ batch: 1, tokens: 4, heads: 2, kvHeads: 2, headDim: 3 }, 5);
    const out = T.causalAttention(q, k, v, { heads: 2 });
    expect(Array.from(out.data.subarray(0, 6))).toEqual(Array.from(v.data.subarray(0, 6)));
    // A scale of 0 weighs every visible key equally: row 3 is the mean of v's first four rows.
    const flat = T.causalAttention(q, k, v, { heads: 2, scale: 0 });
    for (let e = 0; e < 6; e++) {
      const mean = (v.data[e] + v.data[6 + e] + v.data[12 + e] + v.data[18 + e]) / 4;
      expect(flat.data[18 + e]).toBeCloseTo(mean, 6);
    }
  });

  it('names the shapes that do not fit', () => {
    const [q, k, v] = inputs({ batch: 1, tokens: 4, heads: 2, kvHeads: 2, headDim: 3 }, 5);
    expect(() => T.causalAttention(q, k, v, { heads: 4 })).toThrow(/q \[1, 4, 6\].*with 4 heads/);
    expect(() => T.causalAttention(q, k, v, { heads: 2, kvHeads: 3 })).toThrow(
      'causalAttention: heads 2 must be a positive multiple of kvHeads 3',
    );
    expect(() => T.causalAttention(q, k.narrow(1, 0, 3), v, { heads: 2 })).toThrow(
      /k and v must be \[1,4,6\]/,
    );
  });
});

describe.runIf(loadNative() !== null)('causalAttention native kernel', () => {
  it('gives the same bits on 1 and 2 threads (every output element is one task)', () => {
    const native = loadNative()!;
    const s = { batch: 2, tokens: 150, heads: 4, kvHeads: 2, headDim: 64 };
    const [q, k, v] = inputs(s, 9);
    const dOut = T.randn(q.shape, { rng: new Rng(10) }).data as Float32Array;
    const run = (threads: number) => {
      native.setThreads(threads);
      const p = {
        q: q.data as Float32Array,
        k: k.data as Float32Array,
        v: v.data as Float32Array,
        out: new Float32Array(q.size),
        lse: new Float32Array(s.batch * s.heads * s.tokens),
        ...s,
        scale: 0.125,
      };
      native.causalAttention(p);
      const grads = {
        dOut,
        dq: new Float32Array(q.size),
        dk: new Float32Array(k.size),
        dv: new Float32Array(k.size),
      };
      native.causalAttentionBackward({ ...p, ...grads });
      return [p.out, p.lse, grads.dq, grads.dk, grads.dv];
    };
    try {
      const bits = (arrays: Float32Array[]) => arrays.map((a) => Buffer.from(a.buffer).toString('base64'));
      expect(bits(run(2))).toEqual(bits(run(1)));
    } finally {
      native.setThreads(0);
    }
  });

  it('rejects buffers too short for the sizes, and heads that kvHeads does not divide', () => {
    const native = loadNative()!;
    const f = (n: number) => new Float32Array(n);
    const p = { q: f(24), k: f(24), v: f(24), out: f(24), lse: f(8), batch: 1, tokens: 4, heads: 2 };
    const ok = { ...p, kvHeads: 2, headDim: 3, scale: 1 };
    expect(() => native.causalAttention({ ...ok, headDim: 4 })).toThrow(
      /causalAttention: params.q is too short/,
    );
    expect(() => native.causalAttention({ ...ok, kvHeads: 3 })).toThrow(
      /must be a multiple of params.kvHeads/,
    );
    expect(() =>
      native.causalAttentionBackward({ ...ok, dOut: f(24), dq: f(24), dk: f(23), dv: f(24) }),
    ).toThrow(/params.dk is too short/);
  });
});
