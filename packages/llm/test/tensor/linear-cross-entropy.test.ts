// The head and cross-entropy in blocks of rows against the two ops it replaces, on every backend.
import { expect, it } from 'vitest';
import {
  crossEntropy,
  linear,
  linearCrossEntropy,
  noGrad,
  randn,
  Rng,
  Tensor,
} from '../../src/tensor/index.js';
import { rowsPerBlock } from '../../src/tensor/ops/linear-cross-entropy.js';
import { describeEachBackend } from '../helpers/backends.js';

// 600 rows: a full block of 512 and a partial one; some targets ignored.
const [ROWS, DIM, VOCAB] = [600, 24, 130];

it('takes 512 rows per block where their logits fit in 128 MiB, else 256', () => {
  expect(rowsPerBlock(VOCAB)).toBe(512);
  expect(rowsPerBlock(50257)).toBe(512); // GPT-2: 103 MB
  expect(rowsPerBlock(65536)).toBe(512); // exactly 128 MiB
  expect(rowsPerBlock(65537)).toBe(256);
  expect(rowsPerBlock(128256)).toBe(256); // Llama 3
  expect(rowsPerBlock(262144)).toBe(256); // Gemma 3: still one depth block
});

function inputs(seed: number) {
  const rng = new Rng(seed);
  const x = randn([ROWS, DIM], { rng, requiresGrad: true });
  const w = randn([VOCAB, DIM], { rng, requiresGrad: true });
  const t = Int32Array.from({ length: ROWS }, (_, i) => (i % 17 === 3 ? -100 : rng.int(0, VOCAB)));
  return { x, w, targets: new Tensor(t, [ROWS]) };
}

function expectClose(actual: Tensor, expected: Tensor, tolerance: number): void {
  expect(actual.shape).toEqual(expected.shape);
  let worst = 0;
  for (let i = 0; i < actual.size; i++)
    worst = Math.max(
      worst,
      Math.abs(actual.data[i] - expected.data[i]) / (Math.abs(expected.data[i]) + 1e-3),
    );
  expect(worst).toBeLessThan(tolerance);
}

describeEachBackend('linearCrossEntropy', () => {
  it('gives the loss and both gradients of crossEntropy(linear(x, W)), with an upstream gradient of 2', () => {
    const fused = inputs(7);
    const plain = inputs(7);
    const a = linearCrossEntropy(fused.x, fused.w, fused.targets);
    const b = crossEntropy(linear(plain.x, plain.w), plain.targets);
    expect(Math.abs(a.item() - b.item()) / b.item()).toBeLessThan(1e-5);
    a.mul(2).backward();
    b.mul(2).backward();
    expectClose(fused.x.grad!, plain.x.grad!, 1e-3);
    expectClose(fused.w.grad!, plain.w.grad!, 1e-3);
  });

  it('adds into gradients already there, and computes only the loss without gradients', () => {
    const fused = inputs(9);
    const plain = inputs(9);
    for (let i = 0; i < 2; i++) {
      linearCrossEntropy(fused.x, fused.w, fused.targets).backward();
      crossEntropy(linear(plain.x, plain.w), plain.targets).backward();
    }
    expectClose(fused.w.grad!, plain.w.grad!, 1e-3);
    const loss = noGrad(() => linearCrossEntropy(fused.x, fused.w, fused.targets));
    expect(loss.requiresGrad).toBe(false);
    const twice = linearCrossEntropy(fused.x, fused.w, fused.targets);
    twice.backward(undefined, { retainGraph: true });
    expect(() => twice.backward()).toThrow(/backward through it runs once/);
  });

  it('names what does not match', () => {
    const { x, w, targets } = inputs(1);
    expect(() => linearCrossEntropy(x, w, new Tensor(new Int32Array(3), [3]))).toThrow(
      /input \[600, 24\], weight \[130, 24\] and targets \[3\] do not match/,
    );
    targets.data[0] = VOCAB;
    expect(() => linearCrossEntropy(x, w, targets)).toThrow(/target 130 is out of range for 130 classes/);
  });
});
