import { describe, expect, it } from 'vitest';
import { AdamW, clipGradNorm, SGD, warmupCosine } from '../../src/optim/index.js';
import * as T from '../../src/tensor/index.js';
import { Rng, tensor } from '../../src/tensor/index.js';
import { describeEachBackend } from '../helpers/backends.js';

function quadraticStep(p: T.Tensor, opt: { zeroGrad(): void; step(): void }): void {
  opt.zeroGrad();
  p.square().sum().backward();
  opt.step();
}

describeEachBackend('optimizers', () => {
  it('SGD with momentum follows torch.optim.SGD', () => {
    // Hand-computed from PyTorch's rule: buf = m*buf + g (first step buf = g); p -= lr * buf.
    const p = tensor([1, -2]).requiresGrad_();
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    quadraticStep(p, opt); // g = [2, -4], buf = g, p = [0.8, -1.6]
    quadraticStep(p, opt); // g = [1.6, -3.2], buf = [3.4, -6.8], p = [0.46, -0.92]
    expect(Array.from(p.data).map((v) => +v.toFixed(6))).toEqual([0.46, -0.92]);
  });

  it('SGD with weight decay, dampening and Nesterov', () => {
    const p = tensor([1]).requiresGrad_();
    const opt = new SGD([p], { lr: 0.1, momentum: 0.5, dampening: 0.5, weightDecay: 0.1, nesterov: true });
    quadraticStep(p, opt); // d = 2 + 0.1 = 2.1, buf = 2.1, nesterov d = 2.1 + 0.5*2.1 = 3.15, p = 0.685
    quadraticStep(p, opt); // d = 1.37 + 0.0685 = 1.4385, buf = 1.05 + 0.71925 = 1.76925, d = 2.323125, p = 0.4526875
    expect(p.data[0]).toBeCloseTo(0.4526875, 6);
  });

  it('AdamW excludes parameter groups from weight decay and saves and restores its state', () => {
    const rng = new Rng(2);
    const make = () => [
      T.randn([3, 2], { rng: new Rng(5) }).requiresGrad_(),
      T.randn([2], { rng: new Rng(6) }).requiresGrad_(),
    ];
    const target = T.randn([3, 2], { rng });
    const run = (params: T.Tensor[], opt: AdamW, steps: number) => {
      for (let i = 0; i < steps; i++) {
        opt.zeroGrad();
        params[0].sub(target).square().sum().add(params[1].square().sum()).backward();
        opt.step();
      }
    };
    const groups = (params: T.Tensor[]) => [
      { params: [params[0]] },
      { params: [params[1]], options: { weightDecay: 0 } },
    ];
    const straight = make();
    const optA = new AdamW(groups(straight), { lr: 0.01, weightDecay: 0.1 });
    run(straight, optA, 10);

    const resumed = make();
    const optB = new AdamW(groups(resumed), { lr: 0.01, weightDecay: 0.1 });
    run(resumed, optB, 4);
    const saved = optB.stateDict();
    expect([...saved.tensors.keys()]).toEqual(['0.exp_avg', '0.exp_avg_sq', '1.exp_avg', '1.exp_avg_sq']);
    expect(saved.groups[1].weightDecay).toBe(0);
    const fresh = new AdamW(groups(resumed), { lr: 0.5 });
    fresh.loadStateDict(saved);
    expect(fresh.groups[0].options.lr).toBe(0.01);
    run(resumed, fresh, 6);
    expect(Array.from(resumed[0].data)).toEqual(Array.from(straight[0].data));
    expect(Array.from(resumed[1].data)).toEqual(Array.from(straight[1].data));
  });

  it('clips gradients by their global norm', () => {
    const a = tensor([3]).requiresGrad_();
    const b = tensor([4]).requiresGrad_();
    a.mul(b).backward(); // grads: a <- 4, b <- 3, norm 5
    expect(clipGradNorm([a, b], 1)).toBeCloseTo(5, 6);
    expect(a.grad!.data[0]).toBeCloseTo(0.8, 5);
    expect(b.grad!.data[0]).toBeCloseTo(0.6, 5);
    expect(clipGradNorm([a, b], 10)).toBeCloseTo(1, 5);
    expect(a.grad!.data[0]).toBeCloseTo(0.8, 5);
  });
});

describe('learning-rate schedule', () => {
  it('warms up linearly, then decays along a cosine to the minimum (appendix D)', () => {
    const lr = warmupCosine({
      peakLr: 0.01,
      initialLr: 0.0001,
      minLr: 0.0001,
      warmupSteps: 10,
      totalSteps: 110,
    });
    expect(lr(0)).toBeCloseTo(0.0001, 10);
    expect(lr(5)).toBeCloseTo(0.0001 + 5 * 0.00099, 10);
    expect(lr(10)).toBeCloseTo(0.01, 10);
    expect(lr(60)).toBeCloseTo(0.0001 + 0.0099 * 0.5, 10);
    expect(lr(110)).toBeCloseTo(0.0001, 10);
    expect(lr(500)).toBeCloseTo(0.0001, 10);
    expect(() => warmupCosine({ peakLr: 1, warmupSteps: 20, totalSteps: 10 })).toThrow(
      'warmupSteps (20) <= totalSteps (10)',
    );
  });
});
