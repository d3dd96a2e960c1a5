// Chapter 3: coding attention mechanisms, built up as the book does: simplified self-attention,
// self-attention with trainable weights (v1 with raw parameters, v2 with Linear layers), causal
// attention with a mask and dropout, a wrapper of stacked heads, and multi-head attention with one
// projection split into heads. MultiHeadAttention also serves incremental decoding with a KV cache.
// Shapes: B batch, T tokens, C channels (d_in / d_out), nh heads, hs head size.
import { Dropout, type InitOptions, Linear, Module, ModuleList, Parameter } from '../nn/index.js';
import * as T from '../tensor/index.js';
import { globalRng, type Rng, Tensor } from '../tensor/index.js';
import type { LayerCache } from './kv-cache.js';

// Section 3.3: attention without trainable weights. inputs (T, C) -> context vectors (T, C).
export function simplifiedSelfAttention(inputs: Tensor): Tensor {
  const scores = inputs.matmul(inputs, { transB: true }); // (T, T)
  return scores.softmax(-1).matmul(inputs);
}

// Section 3.4.1: x @ W with W (d_in, d_out) initialised from torch.rand.
export class SelfAttentionV1 extends Module {
  W_query: Parameter;
  W_key: Parameter;
  W_value: Parameter;

  constructor(dIn: number, dOut: number, rng: Rng = globalRng) {
    super();
    this.W_query = new Parameter(T.rand([dIn, dOut], { rng }));
    this.W_key = new Parameter(T.rand([dIn, dOut], { rng }));
    this.W_value = new Parameter(T.rand([dIn, dOut], { rng }));
  }

  forward(x: Tensor): Tensor {
    const keys = x.matmul(this.W_key);
    const queries = x.matmul(this.W_query);
    const values = x.matmul(this.W_value);
    const scores = queries.matmul(keys, { transB: true });
    return scores
      .div(Math.sqrt(keys.shape[keys.ndim - 1]))
      .softmax(-1)
      .matmul(values);
  }
}

export interface AttentionOptions extends InitOptions {
  qkvBias?: boolean;
}

// Section 3.4.2: the same with Linear layers (better initialisation, optional bias).
export class SelfAttentionV2 extends Module {
  W_query: Linear;
  W_key: Linear;
  W_value: Linear;

  constructor(dIn: number, dOut: number, options: AttentionOptions = {}) {
    super();
    const linear = { ...options, bias: options.qkvBias ?? false };
    this.W_query = new Linear(dIn, dOut, linear);
    this.W_key = new Linear(dIn, dOut, linear);
    this.W_value = new Linear(dIn, dOut, linear);
  }

  forward(x: Tensor): Tensor {
    const keys = this.W_key.forward(x);
    const queries = this.W_query.forward(x);
    const values = this.W_value.forward(x);
    const scores = queries.matmul(keys, { transB: true });
    return scores
      .div(Math.sqrt(keys.shape[keys.ndim - 1]))
      .softmax(-1)
      .matmul(values);
  }
}

// The (T, T) mask with ones above the diagonal: the future positions a token may not attend to.
function causalMask(contextLength: number): Tensor {
  return T.triu(T.ones([contextLength, contextLength]), 1);
}

function maskedScores(scores: Tensor, mask: Tensor, tokens: number): Tensor {
  const m = tokens === mask.shape[0] ? mask : mask.narrow(0, 0, tokens).narrow(1, 0, tokens);
  return scores.maskedFill(m, -Infinity);
}

// Section 3.5: causal attention over a batch (B, T, d_in), with dropout on the attention weights.
export class CausalAttention extends Module {
  W_query: Linear;
  W_key: Linear;
  W_value: Linear;
  dropout: Dropout;
  mask: Tensor;

  constructor(
    dIn: number,
    dOut: number,
    contextLength: number,
    dropout: number,
    options: AttentionOptions = {},
  ) {
    super();
    const linear = { ...options, bias: options.qkvBias ?? false };
    this.W_query = new Linear(dIn, dOut, linear);
    this.W_key = new Linear(dIn, dOut, linear);
    this.W_value = new Linear(dIn, dOut, linear);
    this.dropout = new Dropout(dropout, options.rng);
    // Not persistent: it is derived from the context length, so checkpoints need not carry it.
    this.mask = this.registerBuffer('mask', causalMask(contextLength), false);
  }

  forward(x: Tensor): Tensor {
    const tokens = x.shape[1];
    const keys = this.W_key.forward(x); // (B, T, d_out)
    const queries = this.W_query.forward(x);
    const values = this.W_value.forward(x);
    const scores = maskedScores(queries.matmul(keys, { transB: true }), this.mask, tokens); // (B, T, T)
    const weights = this.dropout.forward(scores.div(Math.sqrt(keys.shape[2])).softmax(-1));
    return weights.matmul(values);
  }
}

// Section 3.6.1: several causal attention heads side by side, outputs concatenated.
export class MultiHeadAttentionWrapper extends Module {
  heads: ModuleList<CausalAttention>;

  constructor(
    dIn: number,
    dOut: number,
    contextLength: number,
    dropout: number,
    numHeads: number,
    options: AttentionOptions = {},
  ) {
    super();
    this.heads = new ModuleList(
      Array.from({ length: numHeads }, () => new CausalAttention(dIn, dOut, contextLength, dropout, options)),
    );
  }

  forward(x: Tensor): Tensor {
    return T.concat(
      [...this.heads].map((h) => h.forward(x)),
      -1,
    );
  }
}

// Section 3.6.2: one projection per q/k/v, split into heads, and an output projection.
export class MultiHeadAttention extends Module {
  readonly dOut: number;
  readonly numHeads: number;
  readonly headDim: number;
  W_query: Linear;
  W_key: Linear;
  W_value: Linear;
  out_proj: Linear;
  dropout: Dropout;
  mask: Tensor;

  constructor(
    dIn: number,
    dOut: number,
    contextLength: number,
    dropout: number,
    numHeads: number,
    options: AttentionOptions = {},
  ) {
    super();
    if (dOut % numHeads !== 0)
      throw new Error(`MultiHeadAttention: d_out ${dOut} must be divisible by num_heads ${numHeads}`);
    this.dOut = dOut;
    this.numHeads = numHeads;
    this.headDim = dOut / numHeads;
    const linear = { ...options, bias: options.qkvBias ?? false };
    this.W_query = new Linear(dIn, dOut, linear);
    this.W_key = new Linear(dIn, dOut, linear);
    this.W_value = new Linear(dIn, dOut, linear);
    this.out_proj = new Linear(dOut, dOut, options);
    this.dropout = new Dropout(dropout, options.rng);
    this.mask = this.registerBuffer('mask', causalMask(contextLength), false);
  }

  // (B, T, C) -> (B, nh, T, hs)
  private splitHeads(x: Tensor): Tensor {
    const [B, Tn] = x.shape;
    return x.view([B, Tn, this.numHeads, this.headDim]).transpose(1, 2);
  }

  // Attention dropout draws a mask over the (B, nh, T, T) weights, which the fused kernel never
  // holds: with dropout active the composed ops run instead (the book's training setting).
  // The kernel multiplies in float32: under bf16 matrix products the composed ops run too.
  private get fused(): boolean {
    return (this.dropout.p === 0 || !this.training) && T.matmulPrecision() === 'f32';
  }

  forward(x: Tensor, cache?: LayerCache): Tensor {
    const [B, Tn] = x.shape;
    if (Tn > this.mask.shape[0])
      throw new Error(`MultiHeadAttention: ${Tn} tokens exceed the context length ${this.mask.shape[0]}`);
    const projected = [this.W_query.forward(x), this.W_key.forward(x), this.W_value.forward(x)]; // (B, T, C)
    // Training, or a prompt's first pass: every query sees exactly the keys before it in this call.
    if (this.fused && (!cache || cache.length === 0)) {
      if (cache) cache.append(this.splitHeads(projected[1]), this.splitHeads(projected[2]));
      const [q, k, v] = projected;
      return this.out_proj.forward(T.causalAttention(q, k, v, { heads: this.numHeads }));
    }
    const [queries, keys, values] = projected.map((p) => this.splitHeads(p)); // (B, nh, T, hs)
    let context: Tensor; // (B, nh, T, hs)
    if (cache) {
      cache.append(keys, values);
      context = cache.attend(queries);
    } else {
      const scores = maskedScores(queries.matmul(keys, { transB: true }), this.mask, Tn); // (B, nh, T, T)
      const weights = this.dropout.forward(scores.div(Math.sqrt(this.headDim)).softmax(-1));
      context = weights.matmul(values);
    }
    return this.out_proj.forward(context.transpose(1, 2).reshape([B, Tn, this.dOut])); // (B, T, C)
  }
}
