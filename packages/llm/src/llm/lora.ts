// Appendix E: parameter-efficient fine-tuning with low-rank adaptation (LoRA). A frozen Linear layer
// W gets a trainable update x·A·B scaled by alpha: A (in, rank) random, B (rank, out) zero, so a
// fresh adapter changes nothing and training moves only rank·(in + out) numbers per layer.
//
// Scaling: the printed book multiplies the update by alpha (`self.alpha * (x @ self.A @ self.B)`);
// the book's repository later switched to alpha / rank, the convention of the LoRA paper and of
// Hugging Face's peft. Both are here: alpha by default, alpha / rank with `scaleByRank`.
import { UserError } from 'llm-scratch-core/errors';
import { Linear, Module, Parameter } from '../nn/index.js';
import * as T from '../tensor/index.js';
import { globalRng, noGrad, type Rng, Tensor } from '../tensor/index.js';

export interface LoRAOptions {
  rank: number;
  alpha: number;
  // Scale the update by alpha / rank (the repository's later choice) instead of alpha (the book's).
  scaleByRank?: boolean;
  rng?: Rng;
}

export function loraScale(options: Pick<LoRAOptions, 'rank' | 'alpha' | 'scaleByRank'>): number {
  return options.scaleByRank ? options.alpha / options.rank : options.alpha;
}

function checkOptions(options: LoRAOptions): void {
  if (!Number.isInteger(options.rank) || options.rank < 1)
    throw new Error(`LoRA: rank must be a positive integer, got ${options.rank}`);
  if (!Number.isFinite(options.alpha)) throw new Error(`LoRA: alpha must be a number, got ${options.alpha}`);
}

// The book's LoRALayer: A initialised as torch.nn.init.kaiming_uniform_(A, a=sqrt(5)) does for a
// tensor of shape (in, rank) (fan-in = rank, so uniform in +-1/sqrt(rank)), B zero.
export class LoRALayer extends Module {
  A: Parameter;
  B: Parameter;
  readonly rank: number;
  readonly alpha: number;
  readonly scaleByRank: boolean;
  readonly scale: number;

  constructor(inDim: number, outDim: number, options: LoRAOptions) {
    super();
    checkOptions(options);
    const bound = 1 / Math.sqrt(options.rank);
    this.A = new Parameter(
      T.rand([inDim, options.rank], { rng: options.rng ?? globalRng, low: -bound, high: bound }),
    );
    this.B = new Parameter(T.zeros([options.rank, outDim]));
    this.rank = options.rank;
    this.alpha = options.alpha;
    this.scaleByRank = options.scaleByRank ?? false;
    this.scale = loraScale(options);
  }

  // x (..., in) -> scale · x A B (..., out)
  forward(x: Tensor): Tensor {
    return x.matmul(this.A).matmul(this.B).mul(this.scale);
  }

  // The update as a weight in Linear's (out, in) layout: scale · (A B)^T.
  delta(): Tensor {
    return noGrad(() => this.A.matmul(this.B).transpose(0, 1).mul(this.scale));
  }
}

// The book's LinearWithLoRA: the original layer (frozen by applyLoRA) plus the adapter.
export class LinearWithLoRA extends Module {
  linear: Linear;
  lora: LoRALayer;

  constructor(linear: Linear, options: LoRAOptions) {
    super();
    this.linear = linear;
    const [outDim, inDim] = linear.weight.shape;
    this.lora = new LoRALayer(inDim, outDim, options);
  }

  // The wrapped layer's tensors, so code that reads `layer.weight.shape` keeps working (getters on the
  // prototype: not listed again as parameters).
  get weight(): Parameter {
    return this.linear.weight;
  }

  get bias(): Parameter | null {
    return this.linear.bias;
  }

  forward(x: Tensor): Tensor {
    return this.linear.forward(x).add(this.lora.forward(x));
  }
}

type Slot = { owner: Module; key: string };

function slotsOf(model: Module, test: (m: unknown) => boolean): Slot[] {
  const slots: Slot[] = [];
  for (const [, owner] of model.namedModules()) {
    for (const [key, value] of Object.entries(owner)) if (test(value)) slots.push({ owner, key });
  }
  return slots;
}

function setSlot({ owner, key }: Slot, value: Module): void {
  (owner as unknown as Record<string, Module>)[key] = value;
}

export function hasLoRA(model: Module): boolean {
  return slotsOf(model, (v) => v instanceof LinearWithLoRA).length > 0;
}

export type LoRAConfig = Required<Pick<LoRAOptions, 'rank' | 'alpha' | 'scaleByRank'>>;

// How the model's adapters were made (those of its first LoRA layer), or null without any.
export function loraConfig(model: Module): LoRAConfig | null {
  for (const [, m] of model.namedModules()) {
    if (m instanceof LoRALayer) return { rank: m.rank, alpha: m.alpha, scaleByRank: m.scaleByRank };
  }
  return null;
}

// Section E.5's replace_linear_with_lora after freezing the model: every parameter of the model is
// frozen, every Linear (found recursively in the module tree) is replaced by a LinearWithLoRA whose
// A and B are the only trainable tensors. Returns the number of trainable parameters.
export function applyLoRA(model: Module, options: LoRAOptions): number {
  checkOptions(options);
  if (hasLoRA(model)) throw new Error('applyLoRA: the model already has LoRA layers (merge them first)');
  model.requiresGrad_(false);
  const slots = slotsOf(model, (v) => v instanceof Linear);
  for (const slot of slots) {
    const linear = (slot.owner as unknown as Record<string, Linear>)[slot.key];
    setSlot(slot, new LinearWithLoRA(linear, options));
  }
  return model.numParameters({ trainableOnly: true });
}

// Folds each adapter into its layer's weight (W += scale · (A B)^T) and puts the plain Linear back,
// so the model saves and loads as an ordinary one (saveModelDir). Returns the number of layers merged.
export function mergeLoRA(model: Module): number {
  const slots = slotsOf(model, (v) => v instanceof LinearWithLoRA);
  for (const slot of slots) {
    const wrapped = (slot.owner as unknown as Record<string, LinearWithLoRA>)[slot.key];
    const w = wrapped.linear.weight;
    const delta = wrapped.lora.delta();
    const d = delta.data as Float32Array;
    const data = w.data as Float32Array;
    for (let i = 0; i < data.length; i++) data[i] += d[i];
    setSlot(slot, wrapped.linear);
  }
  return slots.length;
}

// Runs fn with the plain (unmerged) Linear layers in place of the LoRA wrappers, then puts the
// wrappers back: the base weights save under their usual names (a checkpoint of a LoRA run keeps the
// base model and the adapters apart, so that a resumed run continues exactly).
export function withPlainLinears<R>(model: Module, fn: () => R): R {
  const slots = slotsOf(model, (v) => v instanceof LinearWithLoRA);
  const wrappers = slots.map((s) => (s.owner as unknown as Record<string, LinearWithLoRA>)[s.key]);
  slots.forEach((s, i) => setSlot(s, wrappers[i].linear));
  try {
    return fn();
  } finally {
    slots.forEach((s, i) => setSlot(s, wrappers[i]));
  }
}

// The adapters' tensors by name (`trf_blocks.0.att.W_query.lora.A`, ...), to save beside a checkpoint.
export function loraStateDict(model: Module): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [name, p] of model.namedParameters()) if (/(^|\.)lora\.[AB]$/.test(name)) out.set(name, p);
  return out;
}

// Loads adapter tensors saved by loraStateDict into a model that applyLoRA prepared the same way.
export function loadLoRAStateDict(model: Module, state: Map<string, Tensor>, source = 'LoRA state'): void {
  const own = loraStateDict(model);
  const missing = [...own.keys()].filter((k) => !state.has(k));
  const unexpected = [...state.keys()].filter((k) => !own.has(k));
  // A file from outside: its problems are the user's to fix, in one line.
  if (missing.length || unexpected.length) {
    throw new UserError(
      `${source} does not fit the model: ${missing.length ? `missing ${missing.slice(0, 3).join(', ')}` : ''}${missing.length && unexpected.length ? '; ' : ''}${unexpected.length ? `unexpected ${unexpected.slice(0, 3).join(', ')}` : ''}`,
    );
  }
  for (const [name, t] of own) {
    const saved = state.get(name)!;
    if (saved.dtype !== 'float32') throw new UserError(`${source}: ${name} is not a float tensor`);
    if (saved.shape.join() !== t.shape.join())
      throw new UserError(
        `${source}: ${name} has shape [${saved.shape.join(', ')}], expected [${t.shape.join(', ')}]`,
      );
    (t.data as Float32Array).set(saved.data as Float32Array);
  }
}
