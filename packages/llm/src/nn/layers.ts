// The basic layers, initialised as PyTorch does by default.
import * as T from '../tensor/index.js';
import { globalRng, type Rng, Tensor } from '../tensor/index.js';
import { Module, Parameter } from './module.js';

export interface InitOptions {
  rng?: Rng;
  // Leave the weights zero: the caller loads them next (skips the random draws of a large model).
  skipInit?: boolean;
}

// torch.nn.Linear: y = x W^T + b, W stored (out, in). Kaiming-uniform weights with a = sqrt(5),
// which makes both weight and bias uniform in +-1/sqrt(in).
export class Linear extends Module {
  weight: Parameter;
  bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, options: InitOptions & { bias?: boolean } = {}) {
    super();
    const rng = options.rng ?? globalRng;
    const bound = 1 / Math.sqrt(inFeatures);
    const uniform = (shape: number[]) =>
      new Parameter(options.skipInit ? T.zeros(shape) : T.rand(shape, { rng, low: -bound, high: bound }));
    this.weight = uniform([outFeatures, inFeatures]);
    this.bias = options.bias === false ? null : uniform([outFeatures]);
  }

  // options fuse a GELU and a shortcut add into the product's epilogue: act(x W^T + b) + residual.
  forward(x: Tensor, options?: T.LinearOptions): Tensor {
    return T.linear(x, this.weight, this.bias, options);
  }
}

// torch.nn.Embedding: a (numEmbeddings, dim) table initialised from N(0, 1).
export class Embedding extends Module {
  weight: Parameter;

  constructor(numEmbeddings: number, dim: number, options: InitOptions = {}) {
    super();
    const shape = [numEmbeddings, dim];
    this.weight = new Parameter(options.skipInit ? T.zeros(shape) : T.randn(shape, { rng: options.rng }));
  }

  forward(ids: Tensor): Tensor {
    return T.embedding(this.weight, ids);
  }
}

// The book's LayerNorm (chapter 4): normalise over the last axis with biased variance, then
// scale and shift; parameter names `scale` and `shift` as in the book.
export class LayerNorm extends Module {
  scale: Parameter;
  shift: Parameter;

  constructor(
    dim: number,
    readonly eps = 1e-5,
  ) {
    super();
    this.scale = new Parameter(T.ones([dim]));
    this.shift = new Parameter(T.zeros([dim]));
  }

  forward(x: Tensor): Tensor {
    return T.layerNorm(x, this.scale, this.shift, this.eps);
  }
}

export class Dropout extends Module {
  constructor(
    readonly p: number,
    private readonly rng: Rng = globalRng,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return T.dropout(x, this.p, this.training, this.rng);
  }
}

export class GELU extends Module {
  forward(x: Tensor): Tensor {
    return x.gelu();
  }
}

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}

// A module with a one-tensor forward, the element type of Sequential.
export interface Layer extends Module {
  forward(x: Tensor): Tensor;
}

// Children named 0, 1, 2, ... as in PyTorch.
export class ModuleList<M extends Module = Module> extends Module {
  [index: number]: M;
  length: number;

  constructor(modules: M[] = []) {
    super();
    this.length = 0;
    for (const m of modules) this.push(m);
  }

  push(module: M): void {
    this[this.length++] = module;
  }

  at(index: number): M {
    return this[index < 0 ? this.length + index : index];
  }

  *[Symbol.iterator](): Iterator<M> {
    for (let i = 0; i < this.length; i++) yield this[i];
  }
}

export class Sequential extends ModuleList<Layer> {
  constructor(...modules: Layer[]) {
    super(modules);
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this) y = m.forward(y);
    return y;
  }
}

// Root-mean-square normalisation (Llama, Qwen, Gemma), over the last axis, HF's parameter name
// `weight`. With unitOffset (Gemma) the stored weight is an offset from 1 and starts at zero.
export class RMSNorm extends Module {
  weight: Parameter;

  constructor(
    dim: number,
    readonly eps = 1e-6,
    readonly unitOffset = false,
  ) {
    super();
    this.weight = new Parameter(unitOffset ? T.zeros([dim]) : T.ones([dim]));
  }

  forward(x: Tensor): Tensor {
    return T.rmsNorm(x, this.weight, this.eps, { unitOffset: this.unitOffset });
  }
}
