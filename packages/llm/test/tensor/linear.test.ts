// T.linear with its GEMM epilogue (bias, GELU, residual) against the unfused ops it replaces,
// forward and backward, and against central finite differences, on every backend. Rows above the
// matrix-vector limit (8) take the GEMM; fewer rows outside autograd take gemv with the same fusion;
// linearMany gives each of several layers on one x what linear gives it.
import { expect, it } from 'vitest';
import { FeedForward } from '../../src/llm/gpt.js';
import * as T from '../../src/tensor/index.js';
import { Rng, Tensor } from '../../src/tensor/index.js';
import { toBf16 } from '../../src/backend/bf16.js';
import { keepInBf16 } from '../../src/tensor/bf16-weights.js';
import { describeEachBackend } from '../helpers/backends.js';
import { gradCheck } from '../helpers/gradcheck.js';

const rng = new Rng(11);
const randn = (shape: number[], scale = 1) => T.randn(shape, { rng }).mul(scale);

function unfused(x: Tensor, w: Tensor, b: Tensor | null, gelu: boolean, residual: Tensor | null): Tensor {
  let y = T.matmul(x, w, { transB: true });
  if (b) y = y.add(b);
  if (gelu) y = y.gelu();
  return residual ? y.add(residual) : y;
}

function maxRelative(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  let worst = 0;
  for (let i = 0; i < a.size; i++)
    worst = Math.max(worst, Math.abs(a.data[i] - b.data[i]) / (Math.abs(b.data[i]) + 1e-3));
  return worst;
}

describeEachBackend('linear with a fused epilogue', () => {
  const variants: [string, boolean, boolean, boolean][] = [
    ['bias', true, false, false],
    ['bias + gelu', true, true, false],
    ['gelu + residual, no bias', false, true, true],
    ['bias + gelu + residual', true, true, true],
  ];

  for (const [label, withBias, gelu, withResidual] of variants) {
    it(`${label}: forward and every gradient equal the unfused ops within rounding`, () => {
      const x = randn([3, 7, 40]).requiresGrad_();
      const w = randn([33, 40], 0.2).requiresGrad_();
      const b = withBias ? randn([33], 0.5).requiresGrad_() : null;
      const r = withResidual ? randn([3, 7, 33]).requiresGrad_() : null;
      const inputs = [x, w, ...(b ? [b] : []), ...(r ? [r] : [])];
      const upstream = randn([3, 7, 33]);

      const fused = T.linear(x, w, b, { gelu, residual: r });
      fused.backward(upstream);
      const fusedGrads = inputs.map((t) => t.grad!);
      for (const t of inputs) t.grad = null;
      const plain = unfused(x, w, b, gelu, r);
      plain.backward(upstream);

      expect(maxRelative(fused, plain)).toBeLessThan(1e-5);
      inputs.forEach((t, i) =>
        expect(maxRelative(fusedGrads[i], t.grad!), `gradient ${i}`).toBeLessThan(1e-4),
      );
    });
  }

  it('passes central finite differences with GELU and the residual', () => {
    const x = randn([2, 5, 6]);
    const w = randn([9, 6], 0.5);
    const b = randn([9], 0.5);
    const r = randn([2, 5, 9]);
    gradCheck((xx, ww, bb, rr) => T.linear(xx, ww, bb, { gelu: true, residual: rr }), [x, w, b, r]);
  });

  it('fuses the same way on the matrix-vector path outside autograd', () => {
    const x = randn([2, 3, 24]);
    const w = randn([17, 24], 0.3);
    const b = randn([17]);
    const r = randn([2, 3, 17]);
    const y = T.noGrad(() => T.linear(x, w, b, { gelu: true, residual: r }));
    // gemv sums k in another order than the GEMM.
    expect(maxRelative(y, unfused(x, w, b, true, r))).toBeLessThan(1e-4);
  });

  it('names the residual whose shape is not the output shape', () => {
    expect(() => T.linear(randn([10, 4]), randn([3, 4]), null, { residual: randn([10, 4]) })).toThrow(
      "linear: residual [10, 4] must have the output's shape [10, 3]",
    );
  });

  it("GPT-2's FeedForward with the shortcut equals x + Linear -> GELU -> Linear, run layer by layer", () => {
    const ff = new FeedForward(
      { vocabSize: 10, contextLength: 8, embDim: 16, nHeads: 2, nLayers: 1, dropRate: 0, qkvBias: false },
      { rng },
    );
    const x = randn([2, 8, 16]);
    const h = randn([2, 8, 16]);
    const expected = h.add(ff.layers.forward(x));
    expect(maxRelative(ff.forward(x, h), expected)).toBeLessThan(1e-5);
    expect(maxRelative(ff.forward(x), ff.layers.forward(x))).toBeLessThan(1e-5);
  });
});

describeEachBackend('linearMany: layers sharing x', () => {
  const layers = (bf16: boolean) => {
    const made = [
      { weight: randn([24, 40], 0.2), bias: randn([24], 0.1) },
      { weight: randn([8, 40], 0.2), bias: null },
      { weight: randn([16, 40], 0.2), bias: randn([16], 0.1) },
    ];
    if (bf16) for (const l of made) keepInBf16(l.weight, toBf16(l.weight.f32()));
    return made;
  };

  for (const bf16 of [false, true])
    for (const rows of [1, 3, 8, 9])
      it(`gives each layer what linear gives it (${bf16 ? 'bf16' : 'f32'} weights, ${rows} rows)`, () => {
        const ls = layers(bf16);
        const x = randn([1, rows, 40]);
        const together = T.noGrad(() => T.linearMany(x, ls));
        ls.forEach((l, i) => {
          const alone = T.noGrad(() => T.linear(x, l.weight, l.bias));
          expect(together[i].shape).toEqual([1, rows, l.weight.shape[0]]);
          expect(Array.from(together[i].f32())).toEqual(Array.from(alone.f32()));
        });
      });

  it('records gradients as linear does when they are wanted', () => {
    const ls = layers(false).map((l) => ({ weight: l.weight.detach().requiresGrad_(), bias: l.bias }));
    const x = randn([2, 40]);
    const [a, b] = T.linearMany(x, ls.slice(0, 2));
    a.sum().add(b.sum()).backward();
    expect(ls[0].weight.grad).not.toBeNull();
    expect(ls[1].weight.grad).not.toBeNull();
  });
});
