// The optimizer base: parameter groups with their own hyperparameters, zeroGrad, and a state dict
// (hyperparameters, step count and per-parameter state tensors) that checkpoints save and restore.
import { UserError } from 'llm-scratch-core/errors';
import { alignedF32 } from '../backend/aligned-arrays.js';
import { formatShape, release, Tensor } from '../tensor/index.js';

export interface ParamGroup<H> {
  params: Tensor[];
  // Overrides of the optimizer's defaults for this group (e.g. weightDecay: 0 for biases and norms).
  options?: Partial<H>;
}

export interface OptimizerState<H> {
  step: number;
  groups: H[];
  // Per-parameter state, keyed `${paramIndex}.${name}` (e.g. `3.exp_avg`), parameters numbered across groups.
  tensors: Map<string, Tensor>;
}

export abstract class Optimizer<H extends { lr: number }> {
  readonly groups: { params: Tensor[]; options: H }[];
  stepCount = 0;
  protected readonly state = new Map<Tensor, Record<string, Float32Array>>();

  constructor(params: Tensor[] | ParamGroup<H>[], defaults: H) {
    const list: ParamGroup<H>[] =
      params.length > 0 && params[0] instanceof Tensor
        ? [{ params: params as Tensor[] }]
        : (params as ParamGroup<H>[]);
    this.groups = list.map((g) => ({ params: g.params, options: { ...defaults, ...g.options } }));
  }

  // The learning rate of every group (schedules set it before each step).
  setLr(lr: number): void {
    for (const g of this.groups) g.options.lr = lr;
  }

  // As torch's zero_grad(set_to_none=True): parameters without a gradient are skipped by step().
  // The buffers go back to the pool, where the next backward finds them.
  zeroGrad(): void {
    for (const g of this.groups)
      for (const p of g.params) {
        if (p.grad) release(p.grad.data);
        p.grad = null;
      }
  }

  abstract step(): void;

  protected slots(p: Tensor, names: string[]): Record<string, Float32Array> {
    let s = this.state.get(p);
    if (!s) {
      s = Object.fromEntries(names.map((n) => [n, alignedF32(p.size)]));
      this.state.set(p, s);
    }
    return s;
  }

  private allParams(): Tensor[] {
    return this.groups.flatMap((g) => g.params);
  }

  stateDict(): OptimizerState<H> {
    const tensors = new Map<string, Tensor>();
    this.allParams().forEach((p, i) => {
      const s = this.state.get(p);
      if (s)
        for (const [name, data] of Object.entries(s)) tensors.set(`${i}.${name}`, new Tensor(data, p.shape));
    });
    return { step: this.stepCount, groups: this.groups.map((g) => ({ ...g.options })), tensors };
  }

  // The state comes from a checkpoint's files: what does not fit is the user's to fix (UserError).
  loadStateDict(saved: OptimizerState<H>): void {
    if (saved.groups.length !== this.groups.length) {
      throw new UserError(
        `optimizer state has ${saved.groups.length} parameter groups, this optimizer has ${this.groups.length}`,
      );
    }
    const params = this.allParams();
    const restored = new Map<Tensor, Record<string, Float32Array>>();
    for (const [key, t] of saved.tensors) {
      const [index, name] = [Number(key.slice(0, key.indexOf('.'))), key.slice(key.indexOf('.') + 1)];
      const p = params[index];
      if (!p)
        throw new UserError(
          `optimizer state '${key}' refers to parameter ${index}, but there are ${params.length}`,
        );
      if (t.size !== p.size) {
        throw new UserError(
          `optimizer state '${key}' has shape ${formatShape(t.shape)}, parameter has ${formatShape(p.shape)}`,
        );
      }
      const slot = restored.get(p) ?? {};
      slot[name] = Float32Array.from(t.data);
      restored.set(p, slot);
    }
    this.state.clear();
    for (const [p, s] of restored) this.state.set(p, s);
    this.groups.forEach((g, i) => Object.assign(g.options, saved.groups[i]));
    this.stepCount = saved.step;
  }
}
