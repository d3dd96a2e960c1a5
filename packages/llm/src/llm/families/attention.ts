// Grouped-query attention with rotary position embeddings, the attention of Llama 3, Qwen3 and
// Gemma 3 (the book's GroupedQueryAttention in ch05/07_gpt_to_llama/standalone-llama32.ipynb;
// transformers' LlamaAttention, Qwen3Attention, Gemma3Attention). nh query heads share nkv key/value
// heads in groups of nh / nkv; optional per-head RMSNorm of queries and keys (Qwen3, Gemma 3), an
// explicit score scale (Gemma 3's query_pre_attn_scalar) and a sliding window (Gemma 3's local
// layers). Shapes: B batch, T tokens, C width, nh query heads, nkv key/value heads, hs head size.
import { type InitOptions, Linear, Module, RMSNorm } from '../../nn/index.js';
import * as T from '../../tensor/index.js';
import type { Tensor } from '../../tensor/index.js';
import { attentionMask, type LayerCache, RowCaches, softcapped } from '../kv-cache.js';
import { linearsOf } from './linears.js';

export interface AttentionShape {
  embDim: number;
  nHeads: number;
  nKVHeads: number;
  headDim: number;
  // Bias on the q, k, v projections, and on the output projection.
  qkvBias: boolean;
  outBias: boolean;
  // Per-head RMSNorm of queries and keys (before RoPE), with its epsilon and Gemma's (1 + w) form.
  qkNorm?: { eps: number; unitOffset?: boolean };
  // Multiplies the scores before the softmax; 1/sqrt(hs) unless a family says otherwise.
  scale?: number;
  // Each position sees only the last `window` positions (itself included).
  window?: number;
  // Scaled scores pass through softcap * tanh(s / softcap) (attn_logit_softcapping, Gemma 2 style).
  softcap?: number;
}

export class GroupedQueryAttention extends Module {
  W_query: Linear;
  W_key: Linear;
  W_value: Linear;
  out_proj: Linear;
  q_norm: RMSNorm | null;
  k_norm: RMSNorm | null;

  constructor(
    readonly shape: AttentionShape,
    init: InitOptions = {},
  ) {
    super();
    const { embDim: C, nHeads: nh, nKVHeads: nkv, headDim: hs } = shape;
    if (nh % nkv !== 0)
      throw new Error(`GroupedQueryAttention: ${nh} query heads do not divide into ${nkv} key/value groups`);
    const qkv = { ...init, bias: shape.qkvBias };
    this.W_query = new Linear(C, nh * hs, qkv);
    this.W_key = new Linear(C, nkv * hs, qkv);
    this.W_value = new Linear(C, nkv * hs, qkv);
    this.out_proj = new Linear(nh * hs, C, { ...init, bias: shape.outBias });
    const norm = shape.qkNorm;
    this.q_norm = norm ? new RMSNorm(hs, norm.eps, norm.unitOffset) : null;
    this.k_norm = norm ? new RMSNorm(hs, norm.eps, norm.unitOffset) : null;
  }

  // x (B, T, C); cos and sin (T, hs) for the positions of x; with a cache, x follows the cached tokens.
  // With RowCaches, x is (B, 1, C), each row a sequence of its own (rope unused: each row has its own).
  forward(x: Tensor, rope: { cos: Tensor; sin: Tensor }, cache?: LayerCache | RowCaches): Tensor {
    const [B, Tn] = x.shape;
    const { nHeads: nh, nKVHeads: nkv, headDim: hs } = this.shape;
    const [projectedQueries, projectedKeys, projectedValues] = linearsOf(x, [
      this.W_query,
      this.W_key,
      this.W_value,
    ]); // (B, T, nh * hs), (B, T, nkv * hs) twice
    let queries = projectedQueries.view([B, Tn, nh, hs]);
    let keys = projectedKeys.view([B, Tn, nkv, hs]);
    const values = projectedValues.view([B, Tn, nkv, hs]).transpose(1, 2); // (B, nkv, T, hs)
    if (this.q_norm && this.k_norm) {
      queries = this.q_norm.forward(queries);
      keys = this.k_norm.forward(keys);
    }
    const scale = this.shape.scale ?? 1 / Math.sqrt(hs);
    const attend = { scale, window: this.shape.window, softcap: this.shape.softcap };
    if (cache instanceof RowCaches) {
      // RoPE on all rows at once, each at its position (elementwise: each row's values are those it
      // gets alone); then each row's keys, values and attention over its own cache.
      const { cos, sin } = cache.rope;
      const q = T.rotaryEmbedding(queries.transpose(1, 2), cos, sin); // (B, nh, 1, hs)
      const k = T.rotaryEmbedding(keys.transpose(1, 2), cos, sin); // (B, nkv, 1, hs)
      const contexts = cache.caches.map((rowCache, b) => {
        rowCache.append(k.narrow(0, b, 1), values.narrow(0, b, 1));
        return rowCache.attend(q.narrow(0, b, 1), attend);
      }); // (1, nh, 1, hs) each
      return this.out_proj.forward(
        T.concat(contexts, 0)
          .transpose(1, 2)
          .reshape([B, Tn, nh * hs]),
      );
    }
    queries = T.rotaryEmbedding(queries.transpose(1, 2), rope.cos, rope.sin); // (B, nh, T, hs)
    keys = T.rotaryEmbedding(keys.transpose(1, 2), rope.cos, rope.sin); // (B, nkv, T, hs)
    let context: Tensor; // (B, nh, T, hs)
    // Plain causal attention (no softcap, no window shorter than the input) over exactly this call's
    // tokens (no cache, or a prompt's first pass into it): one fused op, which reads each kv head for
    // its whole group instead of repeating it, on the heads merged back into rows as it takes them.
    const plain =
      this.shape.softcap === undefined && (this.shape.window ?? Tn) >= Tn && T.matmulPrecision() === 'f32';
    if (cache && !(plain && cache.length === 0)) {
      cache.append(keys, values);
      context = cache.attend(queries, attend);
    } else if (plain) {
      cache?.append(keys, values);
      const rows = (t: Tensor, heads: number) => t.transpose(1, 2).reshape([B, Tn, heads * hs]);
      const fused = T.causalAttention(rows(queries, nh), rows(keys, nkv), projectedValues, {
        heads: nh,
        kvHeads: nkv,
        scale,
      });
      return this.out_proj.forward(fused); // (B, T, C)
    } else {
      const group = nh / nkv;
      const k = T.repeatInterleave(keys, group, 1); // (B, nh, T, hs)
      const v = T.repeatInterleave(values, group, 1);
      let scores = softcapped(T.affine(queries.matmul(k, { transB: true }), scale), this.shape.softcap); // (B, nh, T, T)
      const mask = attentionMask(Tn, Tn, 0, this.shape.window);
      if (mask) scores = scores.maskedFill(mask, -Infinity);
      context = scores.softmax(-1).matmul(v);
    }
    return this.out_proj.forward(context.transpose(1, 2).reshape([B, Tn, nh * hs])); // (B, T, C)
  }
}
