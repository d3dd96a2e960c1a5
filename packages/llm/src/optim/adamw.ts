// AdamW with PyTorch's semantics: decoupled weight decay (p *= 1 - lr*wd), bias-corrected moments,
// eps added outside the square root. Defaults as torch.optim.AdamW.
import { kernels } from '../backend/index.js';
import type { Tensor } from '../tensor/index.js';
import { Optimizer, type ParamGroup } from './optimizer.js';

export interface AdamWOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const ADAMW_DEFAULTS: AdamWOptions = {
  lr: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0.01,
};

export class AdamW extends Optimizer<AdamWOptions> {
  constructor(params: Tensor[] | ParamGroup<AdamWOptions>[], options: Partial<AdamWOptions> = {}) {
    super(params, { ...ADAMW_DEFAULTS, ...options });
  }

  step(): void {
    this.stepCount++;
    const k = kernels();
    for (const { params, options } of this.groups) {
      for (const p of params) {
        if (!p.grad) continue;
        const s = this.slots(p, ['exp_avg', 'exp_avg_sq']);
        k.adamw(p.f32('AdamW'), p.grad.f32(), s.exp_avg, s.exp_avg_sq, { ...options, step: this.stepCount });
      }
    }
  }
}
