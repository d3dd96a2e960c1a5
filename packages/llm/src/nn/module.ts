// Module: the PyTorch-style container of parameters, buffers and child modules. Parameters and
// children are found from the module's own fields in assignment order, so a model reads like the
// book's (`this.W_query = new Linear(...)`) and gets PyTorch's dotted names
// (`trf_blocks.0.att.W_query.weight`).
import { formatShape, release, sizeOf, Tensor } from '../tensor/index.js';

// A trainable tensor owned by a module.
export class Parameter extends Tensor {
  constructor(t: Tensor) {
    super(t.data, t.shape);
    this.requiresGrad_();
  }
}

export interface LoadReport {
  missing: string[];
  unexpected: string[];
}

export abstract class Module {
  training = true;
  private readonly buffers = new Map<string, { tensor: Tensor; persistent: boolean }>();

  // Registers a tensor that is state but not a parameter (e.g. a causal mask); persistent buffers
  // are saved in the state dict, as in PyTorch.
  protected registerBuffer(name: string, tensor: Tensor, persistent = true): Tensor {
    this.buffers.set(name, { tensor, persistent });
    return tensor;
  }

  *namedChildren(): Generator<[string, Module]> {
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Module) yield [key, value];
    }
  }

  *namedModules(prefix = ''): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [name, child] of this.namedChildren()) {
      yield* child.namedModules(prefix ? `${prefix}.${name}` : name);
    }
  }

  *namedParameters(prefix = ''): Generator<[string, Parameter]> {
    const seen = new Set<Parameter>();
    for (const [path, module] of this.namedModules(prefix)) {
      for (const [key, value] of Object.entries(module)) {
        // A parameter shared by two modules (weight tying) is listed once, under its first name.
        if (value instanceof Parameter && !seen.has(value)) {
          seen.add(value);
          yield [path ? `${path}.${key}` : key, value];
        }
      }
    }
  }

  parameters(): Parameter[] {
    return [...this.namedParameters()].map(([, p]) => p);
  }

  *namedBuffers(prefix = ''): Generator<[string, Tensor, boolean]> {
    for (const [path, module] of this.namedModules(prefix)) {
      for (const [key, { tensor, persistent }] of module.buffers) {
        yield [path ? `${path}.${key}` : key, tensor, persistent];
      }
    }
  }

  // Number of parameter values (shared parameters counted once); trainableOnly skips frozen ones.
  numParameters(options: { trainableOnly?: boolean } = {}): number {
    return this.parameters()
      .filter((p) => !options.trainableOnly || p.requiresGrad)
      .reduce((n, p) => n + sizeOf(p.shape), 0); // by shape: a bf16-only weight holds no float32
  }

  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  // Freezes (false) or unfreezes (true) every parameter of this module.
  requiresGrad_(flag = true): this {
    for (const p of this.parameters()) p.requiresGrad_(flag);
    return this;
  }

  // Drops every gradient (their buffers go back to the pool for the next backward).
  zeroGrad(): void {
    for (const p of this.parameters()) {
      if (p.grad) release(p.grad.data);
      p.grad = null;
    }
  }

  stateDict(): Map<string, Tensor> {
    const state = new Map<string, Tensor>();
    for (const [name, p] of this.namedParameters()) state.set(name, p);
    for (const [name, t, persistent] of this.namedBuffers()) if (persistent) state.set(name, t);
    return state;
  }

  // Copies values into the parameters and buffers. Every problem is named: shape mismatches always
  // throw; with strict (the default) missing and unexpected keys throw too.
  loadStateDict(
    state: Map<string, Tensor> | Record<string, Tensor>,
    options: { strict?: boolean } = {},
  ): LoadReport {
    const given = state instanceof Map ? state : new Map(Object.entries(state));
    const own = this.stateDict();
    const missing = [...own.keys()].filter((k) => !given.has(k));
    const unexpected = [...given.keys()].filter((k) => !own.has(k));
    const misshaped: string[] = [];
    for (const [name, target] of own) {
      const source = given.get(name);
      if (source && (source.size !== target.size || source.shape.join() !== target.shape.join())) {
        misshaped.push(`${name}: expected ${formatShape(target.shape)}, got ${formatShape(source.shape)}`);
      }
    }
    const problems: string[] = [];
    if (misshaped.length) problems.push(`shape mismatch for ${misshaped.join('; ')}`);
    if ((options.strict ?? true) && missing.length) problems.push(`missing keys: ${missing.join(', ')}`);
    if ((options.strict ?? true) && unexpected.length)
      problems.push(`unexpected keys: ${unexpected.join(', ')}`);
    if (problems.length) throw new Error(`loadStateDict: ${problems.join('. ')}`);
    for (const [name, target] of own) {
      const source = given.get(name);
      if (source) target.data.set(source.data);
    }
    return { missing, unexpected };
  }
}
