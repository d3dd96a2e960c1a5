// Chapter 3's attention mechanisms: the book's numbers where they are RNG-free, and the properties
// that define each step otherwise (shapes, causality, equivalences).
import { describe, expect, it } from 'vitest';
import {
  CausalAttention,
  MultiHeadAttention,
  MultiHeadAttentionWrapper,
  SelfAttentionV1,
  SelfAttentionV2,
  simplifiedSelfAttention,
} from '../../src/llm/attention.js';
import * as T from '../../src/tensor/index.js';
import { noGrad, Rng, tensor } from '../../src/tensor/index.js';

// "Your journey starts with one step", as the book embeds it in section 3.3.
const inputs = tensor([
  [0.43, 0.15, 0.89],
  [0.55, 0.87, 0.66],
  [0.57, 0.85, 0.64],
  [0.22, 0.58, 0.33],
  [0.77, 0.25, 0.1],
  [0.05, 0.8, 0.55],
]);
const batch = T.stack([inputs, inputs]); // (2, 6, 3), as the book's section 3.5.1

describe('attention (chapter 3)', () => {
  it('computes the book context vectors with simplified self-attention', () => {
    const context = simplifiedSelfAttention(inputs);
    const book = [
      [0.4421, 0.5931, 0.579],
      [0.4419, 0.6515, 0.5683],
      [0.4431, 0.6496, 0.5671],
      [0.4304, 0.6298, 0.551],
      [0.4671, 0.591, 0.5266],
      [0.4177, 0.6503, 0.5645],
    ];
    (context.toArray() as number[][]).forEach((row, i) =>
      row.forEach((v, j) => expect(v).toBeCloseTo(book[i][j], 4)),
    );
  });

  it('SelfAttentionV1 equals SelfAttentionV2 given the transposed weights (exercise 3.1)', () => {
    const v2 = new SelfAttentionV2(3, 2, { rng: new Rng(789) });
    const v1 = new SelfAttentionV1(3, 2);
    v1.W_query.data.set(v2.W_query.weight.transpose().data);
    v1.W_key.data.set(v2.W_key.weight.transpose().data);
    v1.W_value.data.set(v2.W_value.weight.transpose().data);
    const a = v1.forward(inputs);
    const b = v2.forward(inputs);
    expect(a.shape).toEqual([6, 2]);
    a.data.forEach((v, i) => expect(v).toBeCloseTo(b.data[i], 5));
  });

  it('CausalAttention lets no token see the future', () => {
    const ca = new CausalAttention(3, 2, 6, 0, { rng: new Rng(1) });
    const out = ca.forward(batch);
    expect(out.shape).toEqual([2, 6, 2]);
    // Changing the last token changes only the last output row.
    const changed = batch.clone();
    changed.data.set([9, 9, 9], 5 * 3);
    const out2 = ca.forward(changed);
    expect(Array.from(out2.data.slice(0, 10))).toEqual(Array.from(out.data.slice(0, 10)));
    expect(out2.data[10]).not.toBe(out.data[10]);
    // The first token attends only to itself: its context vector is its own value vector.
    const v = ca.W_value.forward(batch);
    expect(out.data[0]).toBeCloseTo(v.data[0], 6);
  });

  it('applies dropout to the attention weights only in training mode', () => {
    const ca = new CausalAttention(3, 2, 6, 0.5, { rng: new Rng(2) });
    const trained = ca.forward(batch);
    ca.eval();
    const evaluated = ca.forward(batch);
    expect(Array.from(trained.data)).not.toEqual(Array.from(evaluated.data));
    expect(Array.from(ca.forward(batch).data)).toEqual(Array.from(evaluated.data));
  });

  it('stacks heads in the wrapper and splits one projection in MultiHeadAttention', () => {
    const wrapper = new MultiHeadAttentionWrapper(3, 2, 6, 0, 2, { rng: new Rng(3) });
    expect(wrapper.forward(batch).shape).toEqual([2, 6, 4]);
    const mha = new MultiHeadAttention(3, 2, 6, 0, 2, { rng: new Rng(4) });
    expect(mha.forward(batch).shape).toEqual([2, 6, 2]);
    expect(() => new MultiHeadAttention(3, 3, 6, 0, 2)).toThrow('d_out 3 must be divisible by num_heads 2');
  });

  it('MultiHeadAttention with one head equals CausalAttention followed by the output projection', () => {
    const mha = new MultiHeadAttention(3, 4, 6, 0, 1, { rng: new Rng(5), qkvBias: true });
    const ca = new CausalAttention(3, 4, 6, 0, { qkvBias: true });
    ca.loadStateDict(new Map([...mha.stateDict()].filter(([k]) => k.startsWith('W_'))));
    const expected = mha.out_proj.forward(ca.forward(batch));
    const actual = mha.forward(batch);
    actual.data.forEach((v, i) => expect(v).toBeCloseTo(expected.data[i], 5));
  });

  it('MultiHeadAttention without dropout runs the fused kernel: the composed ops give its output and gradients', () => {
    const x = T.randn([2, 70, 12], { rng: new Rng(8) });
    const mha = new MultiHeadAttention(12, 12, 80, 0.25, 3, { rng: new Rng(9), qkvBias: true });
    // The book's forward, op by op, on mha's own layers.
    const composed = () => {
      const split = (t: T.Tensor) => t.view([2, 70, 3, 4]).transpose(1, 2);
      const q = split(mha.W_query.forward(x));
      const k = split(mha.W_key.forward(x));
      const v = split(mha.W_value.forward(x));
      const mask = T.triu(T.ones([70, 70]), 1);
      const weights = q.matmul(k, { transB: true }).maskedFill(mask, -Infinity).div(2).softmax(-1);
      return mha.out_proj.forward(weights.matmul(v).transpose(1, 2).reshape([2, 70, 12]));
    };
    // The names of the ops that made a tensor.
    const ops = (t: T.Tensor): Set<string> => {
      const names = new Set<string>();
      const seen = new Set<T.Tensor>();
      const stack = [t];
      for (let u = stack.pop(); u; u = stack.pop()) {
        if (seen.has(u) || !u.gradFn) continue;
        seen.add(u);
        names.add(u.gradFn.name);
        stack.push(...u.gradFn.inputs);
      }
      return names;
    };
    mha.eval();
    const fused = mha.forward(x);
    expect(ops(fused).has('causalAttention')).toBe(true);
    expect(ops(fused).has('softmax')).toBe(false);
    const expected = composed();
    fused.data.forEach((v, i) => expect(v).toBeCloseTo(expected.data[i], 5));
    // Training with a dropout rate keeps the composed path, with its dropout.
    mha.train();
    expect(Array.from(mha.forward(x).data)).not.toEqual(Array.from(fused.data));
    // Training at rate 0 fuses; its parameter gradients are the composition's.
    expect(ops(mha.forward(x)).has('causalAttention')).toBe(false);
    const noDropout = new MultiHeadAttention(12, 12, 80, 0, 3, { qkvBias: true });
    noDropout.loadStateDict(mha.stateDict());
    composed().mul(x).sum().backward();
    noDropout.forward(x).mul(x).sum().backward();
    const want = new Map(mha.namedParameters());
    for (const [name, p] of noDropout.namedParameters()) {
      const g = want.get(name)!.grad!.data;
      p.grad!.data.forEach((v, j) => expect(v, `${name}[${j}]`).toBeCloseTo(g[j], 4));
    }
  });

  it('backpropagates through multi-head attention', () => {
    const mha = new MultiHeadAttention(3, 4, 6, 0, 2, { rng: new Rng(6) });
    mha.forward(batch).sum().backward();
    for (const [name, p] of mha.namedParameters()) expect(p.grad, name).not.toBeNull();
    expect(noGrad(() => mha.forward(batch)).requiresGrad).toBe(false);
  });
});
