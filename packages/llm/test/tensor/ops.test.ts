// Forward values of the ops on small hand-checked cases, and the errors users see.
import { expect, it } from 'vitest';
import * as T from '../../src/tensor/index.js';
import { Rng, tensor } from '../../src/tensor/index.js';
import { describeEachBackend } from '../helpers/backends.js';

const ids = (values: number[], shape = [values.length]) => tensor(Int32Array.from(values), { shape });
const close = (actual: T.Tensor, expected: number[], tol = 1e-6) => {
  expect(actual.size).toBe(expected.length);
  actual.data.forEach((v, i) =>
    expect(Math.abs(v - expected[i]), `element ${i}: ${v} vs ${expected[i]}`).toBeLessThan(tol),
  );
};

describeEachBackend('ops', () => {
  it('creates tensors from nested arrays, constants, ranges and a seeded generator', () => {
    expect(
      tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]).shape,
    ).toEqual([2, 3]);
    expect(T.arange(5).toArray()).toEqual([0, 1, 2, 3, 4]);
    expect(T.arange(1, 2, 0.25).toArray()).toEqual([1, 1.25, 1.5, 1.75]);
    expect(T.arange(0, 4, 1, { dtype: 'int32' }).dtype).toBe('int32');
    expect(T.full([2], 7).toArray()).toEqual([7, 7]);
    expect(Array.from(T.randn([5], { rng: new Rng(9) }).data)).toEqual(
      Array.from(T.randn([5], { rng: new Rng(9) }).data),
    );
    const r = T.randint(3, 6, [1000], { rng: new Rng(1) });
    expect(Math.min(...r.data)).toBe(3);
    expect(Math.max(...r.data)).toBe(5);
    expect(() => tensor([[1, 2], [3]])).toThrow('ragged nested array');
  });

  it('broadcasts like NumPy', () => {
    const a = tensor([[1], [2]]);
    const b = tensor([10, 20, 30]);
    expect(a.add(b).toArray()).toEqual([
      [11, 21, 31],
      [12, 22, 32],
    ]);
    expect(a.mul(2).toArray()).toEqual([[2], [4]]);
    expect(T.sub(1, b).toArray()).toEqual([-9, -19, -29]);
    expect(tensor([2, 3]).pow(2).toArray()).toEqual([4, 9]);
  });

  it('computes unary ops, GELU with the tanh approximation', () => {
    const x = tensor([-1, 0, 2]);
    close(x.gelu(), [-0.15880801, 0, 1.95459769]);
    close(x.relu(), [0, 0, 2]);
    close(x.exp(), [Math.exp(-1), 1, Math.exp(2)], 1e-5);
    close(tensor([4, 0.25]).rsqrt(), [0.5, 2]);
  });

  it('computes silu, rmsNorm (plain and 1 + scale), repeatInterleave and rotaryEmbedding', () => {
    // silu(x) = x / (1 + e^-x)
    close(tensor([-2, 0, 1, 3]).silu(), [
      -2 / (1 + Math.exp(2)),
      0,
      1 / (1 + Math.exp(-1)),
      3 / (1 + Math.exp(-3)),
    ]);
    // rms of [3, 4] is sqrt(12.5)
    const r = Math.sqrt(12.5 + 1e-6);
    close(T.rmsNorm(tensor([[3, 4]]), tensor([1, 2]), 1e-6), [3 / r, 8 / r], 1e-6);
    close(T.rmsNorm(tensor([[3, 4]]), tensor([0, 1]), 1e-6, { unitOffset: true }), [3 / r, 8 / r], 1e-6);
    expect(
      T.repeatInterleave(
        tensor([
          [1, 2],
          [3, 4],
        ]),
        2,
        0,
      ).toArray(),
    ).toEqual([
      [1, 2],
      [1, 2],
      [3, 4],
      [3, 4],
    ]);
    // A rotation by 90 degrees takes the pair (x1, x2) = (1, 0) to (0, 1), and (0, 1) to (-1, 0).
    const cos = tensor([[0, 0]]);
    const sin = tensor([[1, 1]]);
    close(T.rotaryEmbedding(tensor([[1, 0]]), cos, sin), [0, 1]);
    close(T.rotaryEmbedding(tensor([[0, 1]]), cos, sin), [-1, 0]);
    expect(() => T.rotaryEmbedding(tensor([[1, 0, 0]]), cos, sin)).toThrow('rotaryEmbedding');
    // A position per batch row: cos and sin (B, 1, T, hs) rotate each row of x (B, heads, T, hs) by
    // its own angle, as that row alone with its (T, hs) would be rotated.
    const x = new T.Tensor(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), [2, 2, 1, 2]);
    const rowCos = new T.Tensor(Float32Array.from([0.6, 0.6, 0, 0]), [2, 1, 1, 2]);
    const rowSin = new T.Tensor(Float32Array.from([0.8, 0.8, 1, 1]), [2, 1, 1, 2]);
    const each = [0, 1].flatMap((b) =>
      Array.from(
        T.rotaryEmbedding(
          x.narrow(0, b, 1),
          rowCos.narrow(0, b, 1).view([1, 2]),
          rowSin.narrow(0, b, 1).view([1, 2]),
        ).f32(),
      ),
    );
    expect(Array.from(T.rotaryEmbedding(x, rowCos, rowSin).f32())).toEqual(each);
    expect(() => T.rotaryEmbedding(x, new T.Tensor(new Float32Array(6), [3, 1, 1, 2]), rowSin)).toThrow(
      'leading axes broadcasting',
    );
  });

  it('reduces over any axes', () => {
    const x = tensor([
      [
        [1, 2],
        [3, 4],
      ],
      [
        [5, 6],
        [7, 8],
      ],
    ]);
    expect(x.sum().item()).toBe(36);
    expect(x.sum([0, 2]).toArray()).toEqual([14, 22]);
    expect(x.sum(1, { keepdim: true }).shape).toEqual([2, 1, 2]);
    expect(x.mean(-1).toArray()).toEqual([
      [1.5, 3.5],
      [5.5, 7.5],
    ]);
    expect(x.max(0).toArray()).toEqual([
      [5, 6],
      [7, 8],
    ]);
    expect(x.min([1, 2]).toArray()).toEqual([1, 5]);
    expect(tensor([3, 9, 9, 1]).argmax().item()).toBe(1);
    expect(
      tensor([
        [3, 1],
        [0, 5],
      ])
        .argmin(1)
        .toArray(),
    ).toEqual([1, 0]);
    close(tensor([1, 2, 3, 4]).var(), [1.6666666]);
    close(tensor([1, 2, 3, 4]).var(0, { correction: 0 }), [1.25]);
  });

  it('multiplies matrices with batches and transposes', () => {
    const a = tensor([
      [1, 2],
      [3, 4],
    ]);
    const b = tensor([
      [5, 6],
      [7, 8],
    ]);
    expect(a.matmul(b).toArray()).toEqual([
      [19, 22],
      [43, 50],
    ]);
    expect(a.matmul(b, { transA: true }).toArray()).toEqual([
      [26, 30],
      [38, 44],
    ]);
    expect(a.matmul(b, { transB: true }).toArray()).toEqual([
      [17, 23],
      [39, 53],
    ]);
    expect(T.stack([a, b]).matmul(a).toArray()).toEqual([
      [
        [7, 10],
        [15, 22],
      ],
      [
        [23, 34],
        [31, 46],
      ],
    ]);
    expect(
      tensor([1, 2])
        .matmul(tensor([3, 4]))
        .toArray(),
    ).toEqual(11);
  });

  it('reshapes, permutes, narrows, concatenates and splits', () => {
    const x = T.arange(6).reshape([2, 3]);
    expect(x.transpose().toArray()).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    expect(x.reshape([-1, 2]).shape).toEqual([3, 2]);
    expect(x.narrow(1, 1, 2).toArray()).toEqual([
      [1, 2],
      [4, 5],
    ]);
    expect(x.slice(1, -1).toArray()).toEqual([[2], [5]]);
    expect(T.concat([x, x], 0).shape).toEqual([4, 3]);
    expect(T.stack([x, x], 1).shape).toEqual([2, 2, 3]);
    expect(x.split(2, 1).map((t) => t.shape)).toEqual([
      [2, 2],
      [2, 1],
    ]);
    expect(x.chunk(3, 1).map((t) => t.toArray())).toEqual([
      [[0], [3]],
      [[1], [4]],
      [[2], [5]],
    ]);
    expect(x.unsqueeze(0).squeeze().shape).toEqual([2, 3]);
    expect(T.permute(T.zeros([2, 3, 4]), [2, 0, 1]).shape).toEqual([4, 2, 3]);
    expect(tensor([1, 2]).expand([2, 2]).toArray()).toEqual([
      [1, 2],
      [1, 2],
    ]);
  });

  it('moves axes of size 1 without a copy when gradients are off, and copies otherwise', () => {
    const x = T.arange(12).reshape([1, 1, 3, 4]);
    const moved = T.noGrad(() => x.transpose(1, 2));
    expect(moved.shape).toEqual([1, 3, 1, 4]);
    expect(moved.data).toBe(x.data);
    expect(moved.toArray()).toEqual(x.reshape([1, 3, 1, 4]).toArray());
    // Axes of more than one element change places: a copy, the elements reordered.
    const swapped = T.noGrad(() => x.transpose(2, 3));
    expect(swapped.data).not.toBe(x.data);
    expect(swapped.toArray()).toEqual(x.reshape([3, 4]).transpose().reshape([1, 1, 4, 3]).toArray());
    // While gradients are recorded, always a buffer of its own.
    const w = x.detach().requiresGrad_();
    const recorded = w.transpose(1, 2);
    expect(recorded.data).not.toBe(w.data);
    recorded.sum().backward();
    expect(Array.from(w.grad!.f32())).toEqual(new Array(12).fill(1));
  });

  it('indexes, gathers, masks and takes triangles', () => {
    const w = T.arange(6).reshape([3, 2]);
    expect(T.embedding(w, ids([2, 0], [1, 2])).toArray()).toEqual([
      [
        [4, 5],
        [0, 1],
      ],
    ]);
    expect(w.gather(1, ids([1, 0, 0], [3, 1])).toArray()).toEqual([[1], [2], [4]]);
    expect(T.tril(T.ones([3, 3])).toArray()).toEqual([
      [1, 0, 0],
      [1, 1, 0],
      [1, 1, 1],
    ]);
    expect(T.triu(T.ones([2, 3]), 1).toArray()).toEqual([
      [0, 1, 1],
      [0, 0, 1],
    ]);
    const scores = T.zeros([2, 2]).maskedFill(T.triu(T.ones([2, 2]), 1), -Infinity);
    expect(scores.softmax(-1).toArray()).toEqual([
      [1, 0],
      [0.5, 0.5],
    ]);
  });

  it('computes softmax, cross-entropy with ignoreIndex, and layer norm', () => {
    close(tensor([1, 2, 3]).softmax(), [0.09003057, 0.24472847, 0.66524096]);
    close(tensor([1, 2, 3]).logSoftmax(), [-2.40760596, -1.40760596, -0.40760596], 1e-5);
    const logits = tensor([
      [1, 2, 3],
      [1, 1, 1],
      [0, 0, 9],
    ]);
    close(T.crossEntropy(logits, ids([2, -100, 0])), [(0.40760596 + 9.0002468) / 2], 1e-5);
    expect(Number.isNaN(T.crossEntropy(logits, ids([-100, -100, -100])).item())).toBe(true);
    const y = T.layerNorm(tensor([[1, 2, 3, 4]]), T.ones([4]), T.zeros([4]));
    close(y, [-1.3416355, -0.4472118, 0.4472118, 1.3416355], 1e-5);
  });
});

it('names the op and both shapes when shapes do not fit', () => {
  expect(() => tensor([1, 2, 3]).add(tensor([1, 2]))).toThrow(
    'add: shapes [3] and [2] cannot be broadcast together',
  );
  expect(() => T.zeros([2, 3]).matmul(T.zeros([2, 3]))).toThrow(
    'matmul: shapes [2, 3] and [2, 3] are not aligned',
  );
  expect(() => T.zeros([2, 3]).reshape([4, 2])).toThrow('reshape: cannot view shape [2, 3] as [4, 2]');
  expect(() => T.concat([T.zeros([2, 3]), T.zeros([3, 3])], 1)).toThrow(
    'concat: shapes [2, 3] and [3, 3] differ outside axis 1',
  );
  expect(() => T.zeros([2]).sum(3)).toThrow('sum: axis 3 is out of range for a tensor of rank 1');
  expect(() => T.layerNorm(T.zeros([2, 3]), T.ones([4]), T.zeros([4]))).toThrow('layerNorm:');
});

it('names the index and the bound when an index is out of range', () => {
  const w = T.zeros([5, 2]);
  expect(() => T.embedding(w, ids([1, 5]))).toThrow('indexSelect: index 5 is out of range for size 5');
  expect(() => T.crossEntropy(T.zeros([2, 3]), ids([0, 3]))).toThrow(
    'crossEntropy: target 3 is out of range for 3 classes',
  );
  expect(() => w.narrow(0, 4, 2)).toThrow('narrow: range [4, 6) is out of bounds for axis 0 of size 5');
  expect(() => w.gather(1, ids([2, 0, 0, 0, 0], [5, 1]))).toThrow(
    'gather: index 2 is out of range for size 2',
  );
});

it('records no graph under noGrad and detaches', () => {
  const x = T.ones([2]).requiresGrad_();
  const y = T.noGrad(() => x.mul(2));
  expect(y.requiresGrad).toBe(false);
  expect(x.mul(2).detach().requiresGrad).toBe(false);
  expect(() => y.sum().backward()).toThrow('does not require grad');
});
