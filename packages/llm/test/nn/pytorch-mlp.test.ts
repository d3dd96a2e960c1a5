// A 2-layer MLP against PyTorch (test/fixtures/mlp.json, made by tools/fixtures/mlp.py): forward
// values, every gradient and five AdamW steps agree within 1e-5 relative.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { GELU, Linear, Module, Sequential } from '../../src/nn/index.js';
import { AdamW } from '../../src/optim/index.js';
import * as T from '../../src/tensor/index.js';
import { Tensor } from '../../src/tensor/index.js';
import { describeEachBackend } from '../helpers/backends.js';

interface Flat {
  shape: number[];
  data: number[];
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/mlp.json', import.meta.url), 'utf8')) as {
  input: Flat;
  targets: number[];
  params: Record<string, Flat>;
  logits: Flat;
  loss: number;
  grads: Record<string, Flat>;
  adamw: { lr: number; weight_decay: number; steps: { loss: number; params: Record<string, Flat> }[] };
};

class MLP extends Module {
  layers = new Sequential(new Linear(4, 8), new GELU(), new Linear(8, 3));
  forward(x: Tensor): Tensor {
    return this.layers.forward(x);
  }
}

const fromFlat = (f: Flat) => T.tensor(Float32Array.from(f.data), { shape: f.shape });

function expectClose(
  actual: ArrayLike<number>,
  expected: number[],
  what: string,
  rtol = 1e-5,
  atol = 1e-7,
): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const tol = atol + rtol * Math.abs(expected[i]);
    if (Math.abs(actual[i] - expected[i]) > tol) {
      expect.fail(`${what}[${i}]: ${actual[i]} vs PyTorch ${expected[i]}`);
    }
  }
}

function loadModel(): MLP {
  const model = new MLP();
  model.loadStateDict(new Map(Object.entries(fixture.params).map(([k, v]) => [k, fromFlat(v)])));
  return model;
}

const x = fromFlat(fixture.input);
const targets = T.tensor(Int32Array.from(fixture.targets));

describeEachBackend('MLP vs PyTorch', () => {
  it('has the same parameter names as PyTorch', () => {
    expect([...new MLP().stateDict().keys()]).toEqual(Object.keys(fixture.params));
  });

  it('matches the forward values, the loss and every gradient', () => {
    const model = loadModel();
    const logits = model.forward(x);
    expectClose(logits.data, fixture.logits.data, 'logits');
    const loss = T.crossEntropy(logits, targets);
    expectClose([loss.item()], [fixture.loss], 'loss');
    loss.backward();
    for (const [name, p] of model.namedParameters())
      expectClose(p.grad!.data, fixture.grads[name].data, `grad ${name}`);
  });

  it('matches five AdamW steps (lr 1e-3, weight decay 0.1)', () => {
    const model = loadModel();
    const opt = new AdamW(model.parameters(), {
      lr: fixture.adamw.lr,
      weightDecay: fixture.adamw.weight_decay,
    });
    for (const [i, step] of fixture.adamw.steps.entries()) {
      opt.zeroGrad();
      const loss = T.crossEntropy(model.forward(x), targets);
      expectClose([loss.item()], [step.loss], `loss at step ${i + 1}`);
      loss.backward();
      opt.step();
      for (const [name, p] of model.namedParameters()) {
        expectClose(p.data, step.params[name].data, `step ${i + 1} ${name}`, 1e-5, 1e-6);
      }
    }
  });
});
