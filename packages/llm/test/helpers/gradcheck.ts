// Central finite differences against autograd. The forward runs in float32 (our only float type),
// so the perturbation is large (1e-2) and the loss is accumulated in float64; tolerances are per op.
import { expect } from 'vitest';
import { noGrad, Rng, Tensor } from '../../src/tensor/index.js';

export interface GradCheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
}

function weightedLoss(out: Tensor, weights: Float64Array): number {
  let s = 0;
  for (let i = 0; i < out.size; i++) s += out.data[i] * weights[i];
  return s;
}

// Checks d/d(input) of sum(fn(inputs) * W) for every float input with requiresGrad, W random.
export function gradCheck(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: Tensor[],
  options: GradCheckOptions = {},
): void {
  const eps = options.eps ?? 1e-2;
  const atol = options.atol ?? 2e-3;
  const rtol = options.rtol ?? 2e-2;
  for (const t of inputs) {
    if (t.dtype !== 'float32') continue;
    t.requiresGrad_();
    t.grad = null;
  }
  const out = fn(...inputs);
  const rng = new Rng(42);
  const weights = new Float64Array(out.size);
  for (let i = 0; i < weights.length; i++) weights[i] = rng.uniform() * 2 - 1;
  out.backward(new Tensor(Float32Array.from(weights), out.shape));

  inputs.forEach((input, which) => {
    if (input.dtype !== 'float32') return;
    expect(input.grad, `input ${which} has a gradient`).not.toBeNull();
    const analytic = input.grad!.data;
    const data = input.data as Float32Array;
    for (let i = 0; i < data.length; i++) {
      const saved = data[i];
      data[i] = saved + eps;
      const up = noGrad(() => weightedLoss(fn(...inputs), weights));
      data[i] = saved - eps;
      const down = noGrad(() => weightedLoss(fn(...inputs), weights));
      data[i] = saved;
      const numeric = (up - down) / (2 * eps);
      const err = Math.abs(numeric - analytic[i]);
      if (err > atol + rtol * Math.abs(numeric)) {
        expect.fail(`input ${which}, element ${i}: autograd ${analytic[i]} vs finite difference ${numeric}`);
      }
    }
  });
}
