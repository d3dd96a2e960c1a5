// Qwen3 (dense), model_type `qwen3`: the book's bonus notebook ch05/11_qwen3/standalone-qwen3.ipynb
// and transformers' models/qwen3/modeling_qwen3.py. Llama 3's architecture (llama3.ts) with three
// differences: a per-head RMSNorm of queries and keys before RoPE (q_norm, k_norm), an explicit
// head_dim (128 in every released size, not hidden_size / heads), and biases on the attention
// projections when attention_bias says so. Layers may attend within a sliding window when
// use_sliding_window (or layer_types) says so; the released models do not.
// Shapes: B batch, T tokens, C width, V vocabulary.
import { UserError } from 'llm-scratch-core/errors';
import { Embedding, type InitOptions, Linear, Module, ModuleList, RMSNorm } from '../../nn/index.js';
import { globalRng, type Tensor } from '../../tensor/index.js';
import { KVCache, type LayerCache, type RowCaches } from '../kv-cache.js';
import { GroupedQueryAttention } from './attention.js';
import { ConfigFields, SIZE_LIMITS, tokenIdsToHF } from './config-fields.js';
import {
  type CausalLM,
  type Family,
  type ForwardOptions,
  type HubTensor,
  forwardRope,
  forwardStarts,
  layerCache,
} from './family.js';
import { GatedFeedForward } from './feed-forward.js';
import { countParameters } from './hub-map.js';
import { type Llama3Config, llama3ConfigFromHF, llama3HubTensors } from './llama3.js';
import { ropeScalingToHF, RotaryEmbedding } from './rope.js';

export interface Qwen3Config extends Llama3Config {
  // The window of each layer (null: full attention), from layer_types or use_sliding_window.
  layerWindows: (number | null)[];
}

const LAYER_TYPES = ['full_attention', 'sliding_attention'] as const;

export function qwen3ConfigFromHF(hf: Record<string, unknown>, file: string): Qwen3Config {
  // transformers' Qwen3Config defaults head_dim to 128, not hidden_size / heads.
  const base = llama3ConfigFromHF({ head_dim: 128, ...hf, mlp_bias: false }, file);
  const f = new ConfigFields(hf, file);
  const sliding = f.boolean('use_sliding_window', false);
  const window = f.size('sliding_window', SIZE_LIMITS.positions, 4096);
  const maxWindowLayers = f.size('max_window_layers', SIZE_LIMITS.layers, 28);
  let types: string[];
  if (hf.layer_types !== undefined && hf.layer_types !== null) {
    const t = hf.layer_types;
    if (!Array.isArray(t) || t.length !== base.nLayers || !t.every((x) => LAYER_TYPES.includes(x)))
      throw new UserError(
        `${file}: 'layer_types' must list ${base.nLayers} of ${LAYER_TYPES.map((x) => JSON.stringify(x)).join(', ')}`,
      );
    types = t as string[];
  } else {
    types = Array.from({ length: base.nLayers }, (_, i) =>
      sliding && i >= maxWindowLayers ? 'sliding_attention' : 'full_attention',
    );
  }
  return { ...base, layerWindows: types.map((t) => (t === 'sliding_attention' ? window : null)) };
}

export function qwen3ConfigToHF(c: Qwen3Config): Record<string, unknown> {
  const window = c.layerWindows.find((w) => w !== null) ?? null;
  return {
    architectures: ['Qwen3ForCausalLM'],
    model_type: 'qwen3',
    vocab_size: c.vocabSize,
    max_position_embeddings: c.contextLength,
    hidden_size: c.embDim,
    intermediate_size: c.hiddenDim,
    num_hidden_layers: c.nLayers,
    num_attention_heads: c.nHeads,
    num_key_value_heads: c.nKVHeads,
    head_dim: c.headDim,
    hidden_act: 'silu',
    rms_norm_eps: c.rmsNormEps,
    rope_theta: c.ropeTheta,
    rope_scaling: ropeScalingToHF(c.ropeScaling),
    attention_bias: c.attentionBias,
    attention_dropout: 0.0,
    use_sliding_window: window !== null,
    sliding_window: window,
    max_window_layers: c.nLayers,
    layer_types: c.layerWindows.map((w) => (w === null ? 'full_attention' : 'sliding_attention')),
    tie_word_embeddings: c.tieWeights,
    bos_token_id: c.bosTokenId,
    eos_token_id: tokenIdsToHF(c.eosTokenIds),
    initializer_range: 0.02,
    use_cache: true,
    torch_dtype: c.dtype,
  };
}

// Llama 3's block, with queries and keys normalised per head.
export class Qwen3Block extends Module {
  norm1: RMSNorm;
  att: GroupedQueryAttention;
  norm2: RMSNorm;
  ff: GatedFeedForward;

  constructor(c: Qwen3Config, layer: number, init: InitOptions) {
    super();
    this.norm1 = new RMSNorm(c.embDim, c.rmsNormEps);
    this.att = new GroupedQueryAttention(
      {
        embDim: c.embDim,
        nHeads: c.nHeads,
        nKVHeads: c.nKVHeads,
        headDim: c.headDim,
        qkvBias: c.attentionBias,
        outBias: c.attentionBias,
        qkNorm: { eps: c.rmsNormEps },
        window: c.layerWindows[layer] ?? undefined,
      },
      init,
    );
    this.norm2 = new RMSNorm(c.embDim, c.rmsNormEps);
    this.ff = new GatedFeedForward(c.embDim, c.hiddenDim, 'silu', init);
  }

  forward(x: Tensor, rope: { cos: Tensor; sin: Tensor }, cache?: LayerCache | RowCaches): Tensor {
    const h = x.add(this.att.forward(this.norm1.forward(x), rope, cache)); // (B, T, C)
    return h.add(this.ff.forward(this.norm2.forward(h)));
  }
}

export class Qwen3Model extends Module implements CausalLM {
  readonly family = 'qwen3';
  readonly config: Qwen3Config;
  readonly eosTokenIds: readonly number[];
  tok_emb: Embedding;
  trf_blocks: ModuleList<Qwen3Block>;
  final_norm: RMSNorm;
  out_head: Linear;
  private readonly rope: RotaryEmbedding;

  constructor(config: Qwen3Config, options: InitOptions = {}) {
    super();
    this.config = { ...config };
    this.eosTokenIds = config.eosTokenIds;
    const init = { ...options, rng: options.rng ?? globalRng };
    this.tok_emb = new Embedding(config.vocabSize, config.embDim, init);
    this.trf_blocks = new ModuleList(
      Array.from({ length: config.nLayers }, (_, i) => new Qwen3Block(config, i, init)),
    );
    this.final_norm = new RMSNorm(config.embDim, config.rmsNormEps);
    this.out_head = new Linear(config.embDim, config.vocabSize, { ...init, bias: false });
    if (config.tieWeights) this.out_head.weight = this.tok_emb.weight;
    this.rope = new RotaryEmbedding(
      config.headDim,
      config.ropeTheta,
      config.ropeScaling,
      config.contextLength,
    );
  }

  forward(ids: Tensor, options: ForwardOptions = {}): Tensor {
    const [, Tn] = ids.shape;
    const starts = forwardStarts(options, ids, this.config.contextLength, 'Qwen3Model');
    const { rope, rowRope } = forwardRope(this.rope, starts, Tn, options); // (T, hs), or each row's
    let x = this.tok_emb.forward(ids); // (B, T, C)
    [...this.trf_blocks].forEach((block, i) => {
      x = block.forward(x, rope, layerCache(options, i, rowRope));
    });
    if (options.lastOnly && Tn > 1) x = x.narrow(1, Tn - 1, 1); // (B, 1, C)
    const h = this.final_norm.forward(x); // (B, T, C)
    return options.hidden ? h : this.out_head.forward(h); // (B, T, V)
  }

  newCache(batch = 1): KVCache {
    const { nLayers, nKVHeads, contextLength, headDim } = this.config;
    return new KVCache(nLayers, batch, nKVHeads, contextLength, headDim, { grow: true });
  }
}

// Llama's names, plus each layer's q_norm and k_norm.
export function qwen3HubTensors(c: Qwen3Config): HubTensor[] {
  return llama3HubTensors(c).flatMap((t) => {
    const m = /^model\.layers\.(\d+)\.self_attn\.k_proj\.weight$/.exec(t.hub);
    if (!m) return [t];
    const [hub, ours] = [`model.layers.${m[1]}.self_attn`, `trf_blocks.${m[1]}.att`];
    return [
      t,
      { hub: `${hub}.q_norm.weight`, ours: `${ours}.q_norm.weight`, shape: [c.headDim] },
      { hub: `${hub}.k_norm.weight`, ours: `${ours}.k_norm.weight`, shape: [c.headDim] },
    ];
  });
}

export const qwen3: Family<Qwen3Config> = {
  name: 'qwen3',
  modelTypes: ['qwen3'],
  architectures: ['Qwen3ForCausalLM'],
  configFromHF: qwen3ConfigFromHF,
  configToHF: qwen3ConfigToHF,
  eosTokenIds: (c) => c.eosTokenIds,
  create: (c, init) => new Qwen3Model(c, init),
  hubTensors: qwen3HubTensors,
  parameterCount: (c) => countParameters(qwen3HubTensors(c), c),
  summary: (c) => ({
    layers: c.nLayers,
    width: c.embDim,
    heads: c.nHeads,
    kvHeads: c.nKVHeads,
    headDim: c.headDim,
    feedForward: c.hiddenDim,
    vocabulary: c.vocabSize,
    context: c.contextLength,
    ropeTheta: c.ropeTheta,
    slidingLayers: c.layerWindows.filter((w) => w !== null).length,
    tiedEmbeddings: c.tieWeights,
  }),
};
