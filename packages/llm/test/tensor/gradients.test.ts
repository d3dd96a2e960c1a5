// Every differentiable op against central finite differences, on shapes that include broadcasting
// edge cases (size-1 axes, scalars, rank mismatch) and inputs made by transpose/permute/narrow.
import { it } from 'vitest';
import * as T from '../../src/tensor/index.js';
import { Rng } from '../../src/tensor/index.js';
import { describeEachBackend } from '../helpers/backends.js';
import { gradCheck } from '../helpers/gradcheck.js';

const rng = new Rng(7);
const randn = (shape: number[]) => T.randn(shape, { rng });
// Values kept away from 0 for ops with a kink or a pole there.
const away = (shape: number[]) => {
  const t = T.rand(shape, { rng, low: 0.3, high: 1.5 });
  const d = t.data as Float32Array;
  for (let i = 0; i < d.length; i++) if (rng.uniform() < 0.5) d[i] = -d[i];
  return t;
};
const positive = (shape: number[]) => T.rand(shape, { rng, low: 0.5, high: 2 });
const ids = (values: number[], shape = [values.length]) => T.tensor(Int32Array.from(values), { shape });

const broadcastPairs: [number[], number[]][] = [
  [
    [3, 4],
    [3, 4],
  ],
  [[3, 4], [4]],
  [
    [2, 1, 4],
    [3, 1],
  ],
  [[], [2, 3]],
  [[1], [5, 1, 2]],
  [[2, 3], []],
];

describeEachBackend('gradients', () => {
  for (const [sa, sb] of broadcastPairs) {
    const label = `[${sa}] and [${sb}]`;
    it(`add, sub, mul ${label}`, () => {
      gradCheck((a, b) => a.add(b), [randn(sa), randn(sb)]);
      gradCheck((a, b) => a.sub(b), [randn(sa), randn(sb)]);
      gradCheck((a, b) => a.mul(b), [randn(sa), randn(sb)]);
    });
    it(`div, pow, maximum, minimum ${label}`, () => {
      gradCheck((a, b) => a.div(b), [randn(sa), away(sb)]);
      gradCheck((a, b) => a.pow(b), [positive(sa), randn(sb)]);
      gradCheck((a, b) => T.maximum(a, b), [randn(sa), randn(sb)], { eps: 1e-3, atol: 5e-3 });
      gradCheck((a, b) => T.minimum(a, b), [randn(sa), randn(sb)], { eps: 1e-3, atol: 5e-3 });
    });
  }

  it('pow by a constant, neg, affine', () => {
    gradCheck((a) => a.pow(3), [randn([2, 3])]);
    gradCheck((a) => a.neg(), [randn([4])]);
    gradCheck((a) => T.affine(a, -2.5, 1), [randn([3, 2])]);
  });

  it('unary ops', () => {
    gradCheck((a) => a.exp(), [randn([3, 4])]);
    gradCheck((a) => a.log(), [positive([3, 4])]);
    gradCheck((a) => a.sqrt(), [positive([3, 4])]);
    gradCheck((a) => a.rsqrt(), [positive([3, 4])]);
    gradCheck((a) => a.tanh(), [randn([3, 4])]);
    gradCheck((a) => a.relu(), [away([3, 4])]);
    gradCheck((a) => a.gelu(), [randn([3, 4])]);
    gradCheck((a) => a.silu(), [T.affine(randn([3, 4]), 3)]);
    gradCheck((a) => a.abs(), [away([3, 4])]);
    gradCheck((a) => a.square(), [randn([5])]);
  });

  it('rmsNorm, plain and with the (1 + scale) offset', () => {
    gradCheck((x, w) => T.rmsNorm(x, w, 1e-6), [randn([2, 3, 5]), randn([5])]);
    gradCheck((x, w) => T.rmsNorm(x, w, 1e-6, { unitOffset: true }), [randn([4, 6]), randn([6])]);
  });

  it('repeatInterleave (the key/value heads of grouped-query attention)', () => {
    gradCheck((x) => T.repeatInterleave(x, 3, 1), [randn([2, 2, 3, 2])]);
  });

  it('rotaryEmbedding', () => {
    const angles = T.rand([3, 2], { rng, low: -3, high: 3 });
    const both = T.concat([angles, angles], -1);
    const [cos, sin] = [both.toArray() as number[][], both.toArray() as number[][]].map((rows, i) =>
      T.tensor(rows.map((r) => r.map((a) => (i === 0 ? Math.cos(a) : Math.sin(a))))),
    );
    gradCheck((x) => T.rotaryEmbedding(x, cos, sin), [randn([2, 2, 3, 4])]);
  });

  it('reductions over any axes, with and without keepdim', () => {
    for (const axes of [undefined, 0, 1, -1, [0, 2], [1, 2]] as (number | number[] | undefined)[]) {
      for (const keepdim of [false, true]) {
        gradCheck((a) => a.sum(axes, { keepdim }), [randn([2, 3, 4])]);
        gradCheck((a) => a.mean(axes, { keepdim }), [randn([2, 3, 4])]);
        gradCheck((a) => a.var(axes, { keepdim }), [randn([2, 3, 4])]);
      }
    }
    gradCheck((a) => a.max(1), [randn([3, 5])], { eps: 1e-3 });
    gradCheck((a) => a.min([0, 1], { keepdim: true }), [randn([3, 5])], { eps: 1e-3 });
    gradCheck((a) => a.max(), [randn([7])], { eps: 1e-3 });
    gradCheck((a) => a.var(-1, { correction: 0 }), [randn([4, 6])]);
  });

  it('matmul: matrices, vectors, batches, broadcast batches and transposes', () => {
    gradCheck((a, b) => a.matmul(b), [randn([3, 4]), randn([4, 5])]);
    gradCheck((a, b) => a.matmul(b), [randn([2, 3, 4]), randn([4, 5])]);
    gradCheck((a, b) => a.matmul(b), [randn([2, 3, 4]), randn([2, 4, 5])]);
    gradCheck((a, b) => a.matmul(b), [randn([2, 1, 3, 4]), randn([5, 4, 2])]);
    gradCheck((a, b) => a.matmul(b), [randn([3, 4]), randn([2, 4, 5])]);
    gradCheck((a, b) => a.matmul(b), [randn([4]), randn([4, 5])]);
    gradCheck((a, b) => a.matmul(b), [randn([3, 4]), randn([4])]);
    gradCheck((a, b) => a.matmul(b), [randn([4]), randn([4])]);
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const a = transA ? randn([4, 3]) : randn([3, 4]);
        const b = transB ? randn([5, 4]) : randn([4, 5]);
        gradCheck((x, y) => x.matmul(y, { transA, transB }), [a, b]);
        const ab = transA ? randn([2, 4, 3]) : randn([2, 3, 4]);
        const bb = transB ? randn([2, 5, 4]) : randn([2, 4, 5]);
        gradCheck((x, y) => x.matmul(y, { transA, transB }), [ab, bb]);
        gradCheck((x, y) => x.matmul(y, { transA, transB }), [ab, b]);
      }
    }
  });

  it('ops on non-contiguous inputs (made by transpose, permute and narrow)', () => {
    gradCheck((a, b) => a.transpose().matmul(b), [randn([4, 3]), randn([4, 2])]);
    gradCheck((a, b) => a.permute([2, 0, 1]).mul(b), [randn([2, 3, 4]), randn([3])]);
    gradCheck((a) => a.narrow(1, 1, 2).softmax(-1), [randn([3, 4])]);
    gradCheck((a) => a.transpose(0, 1).sum(0), [randn([2, 5])]);
  });

  it('shape ops', () => {
    gradCheck((a) => a.reshape([4, -1]), [randn([2, 3, 2])]);
    gradCheck((a) => a.flatten(1), [randn([2, 3, 2])]);
    gradCheck((a) => a.unsqueeze(1).squeeze(1), [randn([2, 3])]);
    gradCheck((a) => a.permute([1, 2, 0]), [randn([2, 3, 4])]);
    gradCheck((a) => a.narrow(0, 1, 2), [randn([4, 3])]);
    gradCheck((a) => a.slice(-1, -3), [randn([2, 5])]);
    gradCheck((a) => a.expand([3, 2, 4]), [randn([2, 1])]);
    gradCheck((a, b) => T.concat([a, b], 1), [randn([2, 3]), randn([2, 2])]);
    gradCheck((a, b) => T.stack([a, b], 2), [randn([2, 3]), randn([2, 3])]);
    gradCheck((a) => T.concat(a.split([1, 3], 1).reverse(), 1), [randn([2, 4])]);
    gradCheck((a) => a.chunk(3, 0)[1], [randn([5, 2])]);
  });

  it('indexing, gathering and masking', () => {
    gradCheck((a) => a.indexSelect(0, ids([2, 0, 2])), [randn([3, 4])]);
    gradCheck((a) => a.indexSelect(1, ids([1, 1, 3])), [randn([2, 4, 2])]);
    gradCheck((w) => T.embedding(w, ids([1, 4, 1, 0], [2, 2])), [randn([5, 3])]);
    gradCheck((a) => a.gather(1, ids([0, 2, 2, 1, 1, 0], [2, 3])), [randn([2, 4])]);
    const mask = T.tensor([
      [1, 0, 0],
      [0, 1, 1],
    ]);
    gradCheck((a) => a.maskedFill(mask, -5), [randn([2, 3])]);
    gradCheck((a, b) => T.where(mask, a, b), [randn([2, 3]), randn([3])]);
    gradCheck((a) => T.tril(a), [randn([2, 3, 3])]);
    gradCheck((a) => T.triu(a, 1), [randn([3, 4])]);
  });

  it('softmax, log-softmax and cross-entropy', () => {
    gradCheck((a) => a.softmax(-1), [randn([3, 5])]);
    gradCheck((a) => a.softmax(0), [randn([3, 5])]);
    gradCheck((a) => a.logSoftmax(-1), [randn([2, 2, 6])]);
    gradCheck((a) => a.logSoftmax(1), [randn([2, 4, 3])]);
    const targets = ids([1, 4, -100, 0, 2, 3], [2, 3]);
    gradCheck((a) => T.crossEntropy(a, targets), [randn([2, 3, 5])]);
    gradCheck((a) => T.crossEntropy(a, targets, { reduction: 'sum' }), [randn([2, 3, 5])]);
    gradCheck((a) => T.crossEntropy(a, ids([3, 0, 3]), { ignoreIndex: 3 }), [randn([3, 4])]);
  });

  it('layer norm, linear and dropout', () => {
    gradCheck((x, g, b) => T.layerNorm(x, g, b), [randn([3, 6]), randn([6]), randn([6])], { atol: 5e-3 });
    gradCheck((x, w, b) => T.linear(x, w, b), [randn([2, 3, 4]), randn([5, 4]), randn([5])]);
    // The same seed for every evaluation gives the same mask, so the function is deterministic.
    gradCheck((x) => T.dropout(x, 0.5, true, new Rng(3)), [randn([4, 5])]);
  });

  it('gradients accumulate over calls and through reused tensors', () => {
    gradCheck((a) => a.mul(a).add(a.exp()).sum(0), [randn([3, 2])]);
    const x = randn([3]).requiresGrad_();
    x.mul(2).sum().backward();
    x.mul(3).sum().backward();
    const grad = Array.from(x.grad!.data);
    if (grad.some((g) => Math.abs(g - 5) > 1e-6))
      throw new Error(`expected accumulated gradient 5, got ${grad}`);
  });
});
