// Llama 3 (3.0 to 3.2), model_type `llama`: the book's bonus notebook
// ch05/07_gpt_to_llama/standalone-llama32.ipynb (and converting-llama2-to-llama3.ipynb), and
// transformers' models/llama/modeling_llama.py. From GPT-2: RMSNorm for LayerNorm, rotary position
// embeddings (with Llama 3's `rope_scaling` of type llama3) for learned positions, grouped-query
// attention (num_key_value_heads), the SwiGLU feed-forward, no biases, and an output head tied to
// the embedding or not as tie_word_embeddings says (tied in 3.2 1B/3B).
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
  type ModelShape,
  forwardRope,
  forwardStarts,
  layerCache,
} from './family.js';
import { GatedFeedForward } from './feed-forward.js';
import { countParameters } from './hub-map.js';
import { parseRopeScaling, type RopeScaling, ropeScalingToHF, RotaryEmbedding } from './rope.js';

export interface Llama3Config extends ModelShape {
  vocabSize: number;
  // max_position_embeddings.
  contextLength: number;
  // hidden_size C, and the feed-forward's intermediate_size.
  embDim: number;
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  // Key/value heads (grouped-query attention); nHeads means plain multi-head attention.
  nKVHeads: number;
  // hidden_size / num_attention_heads unless config.json gives head_dim.
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: RopeScaling;
  // Bias on the attention projections, and on the feed-forward's (both false in released Llamas).
  attentionBias: boolean;
  mlpBias: boolean;
  tieWeights: boolean;
  bosTokenId: number | null;
  eosTokenIds: number[];
  // The dtype config.json records for the weights (torch_dtype).
  dtype: string;
}

// transformers 5 writes the RoPE base and scaling together as rope_parameters.
const ropeParameters = (hf: Record<string, unknown>): Record<string, number> | null => {
  const p = hf.rope_parameters;
  return typeof p === 'object' && p !== null && !Array.isArray(p) ? (p as Record<string, number>) : null;
};

export function llama3ConfigFromHF(hf: Record<string, unknown>, file: string): Llama3Config {
  const f = new ConfigFields(hf, file);
  f.choice('hidden_act', ['silu'], 'silu');
  const embDim = f.size('hidden_size', SIZE_LIMITS.width);
  const nHeads = f.size('num_attention_heads', SIZE_LIMITS.heads);
  const nKVHeads = f.size('num_key_value_heads', SIZE_LIMITS.heads, nHeads);
  if (nHeads % nKVHeads !== 0)
    throw new UserError(
      `${file}: num_attention_heads ${nHeads} must be a multiple of num_key_value_heads ${nKVHeads}`,
    );
  if (hf.head_dim === undefined && embDim % nHeads !== 0)
    throw new UserError(`${file}: hidden_size ${embDim} must be divisible by num_attention_heads ${nHeads}`);
  const headDim = f.size('head_dim', SIZE_LIMITS.width, embDim / nHeads);
  if (headDim % 2 !== 0) throw new UserError(`${file}: the head size ${headDim} must be even for RoPE`);
  return {
    vocabSize: f.size('vocab_size', SIZE_LIMITS.vocab),
    contextLength: f.size('max_position_embeddings', SIZE_LIMITS.positions),
    embDim,
    hiddenDim: f.size('intermediate_size', SIZE_LIMITS.width * 8),
    nLayers: f.size('num_hidden_layers', SIZE_LIMITS.layers),
    nHeads,
    nKVHeads,
    headDim,
    rmsNormEps: f.positive('rms_norm_eps', 1e-6),
    ropeTheta: f.positive('rope_theta', ropeParameters(hf)?.rope_theta ?? 10000),
    ropeScaling: parseRopeScaling(hf.rope_scaling ?? ropeParameters(hf), file),
    attentionBias: f.boolean('attention_bias', false),
    mlpBias: f.boolean('mlp_bias', false),
    tieWeights: f.boolean('tie_word_embeddings', false),
    bosTokenId: f.tokenId('bos_token_id'),
    eosTokenIds: f.tokenIds('eos_token_id'),
    dtype: f.dtype(),
  };
}

export function llama3ConfigToHF(c: Llama3Config): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
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
    mlp_bias: c.mlpBias,
    tie_word_embeddings: c.tieWeights,
    bos_token_id: c.bosTokenId,
    eos_token_id: tokenIdsToHF(c.eosTokenIds),
    initializer_range: 0.02,
    pretraining_tp: 1,
    use_cache: true,
    torch_dtype: c.dtype,
  };
}

// Pre-norm attention and feed-forward, each around a shortcut connection (as GPT-2's block).
export class Llama3Block extends Module {
  norm1: RMSNorm;
  att: GroupedQueryAttention;
  norm2: RMSNorm;
  ff: GatedFeedForward;

  constructor(c: Llama3Config, init: InitOptions) {
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
      },
      init,
    );
    this.norm2 = new RMSNorm(c.embDim, c.rmsNormEps);
    this.ff = new GatedFeedForward(c.embDim, c.hiddenDim, 'silu', { ...init, bias: c.mlpBias });
  }

  forward(x: Tensor, rope: { cos: Tensor; sin: Tensor }, cache?: LayerCache | RowCaches): Tensor {
    const h = x.add(this.att.forward(this.norm1.forward(x), rope, cache)); // (B, T, C)
    return h.add(this.ff.forward(this.norm2.forward(h)));
  }
}

export class Llama3Model extends Module implements CausalLM {
  readonly family = 'llama3';
  readonly config: Llama3Config;
  readonly eosTokenIds: readonly number[];
  tok_emb: Embedding;
  trf_blocks: ModuleList<Llama3Block>;
  final_norm: RMSNorm;
  out_head: Linear;
  private readonly rope: RotaryEmbedding;

  constructor(config: Llama3Config, options: InitOptions = {}) {
    super();
    this.config = { ...config };
    this.eosTokenIds = config.eosTokenIds;
    const init = { ...options, rng: options.rng ?? globalRng };
    this.tok_emb = new Embedding(config.vocabSize, config.embDim, init);
    this.trf_blocks = new ModuleList(
      Array.from({ length: config.nLayers }, () => new Llama3Block(config, init)),
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
    const starts = forwardStarts(options, ids, this.config.contextLength, 'Llama3Model');
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

// transformers' names (LlamaForCausalLM) for our parameters.
export function llama3HubTensors(c: Llama3Config): HubTensor[] {
  const { vocabSize: V, embDim: C, hiddenDim: H, nHeads: nh, nKVHeads: nkv, headDim: hs } = c;
  const layer = (i: number): HubTensor[] => {
    const hub = `model.layers.${i}`;
    const ours = `trf_blocks.${i}`;
    const linear = (h: string, o: string, shape: number[], bias: boolean): HubTensor[] => [
      { hub: `${hub}.${h}.weight`, ours: `${ours}.${o}.weight`, shape },
      ...(bias ? [{ hub: `${hub}.${h}.bias`, ours: `${ours}.${o}.bias`, shape: [shape[0]] }] : []),
    ];
    return [
      { hub: `${hub}.input_layernorm.weight`, ours: `${ours}.norm1.weight`, shape: [C] },
      ...linear('self_attn.q_proj', 'att.W_query', [nh * hs, C], c.attentionBias),
      ...linear('self_attn.k_proj', 'att.W_key', [nkv * hs, C], c.attentionBias),
      ...linear('self_attn.v_proj', 'att.W_value', [nkv * hs, C], c.attentionBias),
      ...linear('self_attn.o_proj', 'att.out_proj', [C, nh * hs], c.attentionBias),
      { hub: `${hub}.post_attention_layernorm.weight`, ours: `${ours}.norm2.weight`, shape: [C] },
      ...linear('mlp.gate_proj', 'ff.fc1', [H, C], c.mlpBias),
      ...linear('mlp.up_proj', 'ff.fc2', [H, C], c.mlpBias),
      ...linear('mlp.down_proj', 'ff.fc3', [C, H], c.mlpBias),
    ];
  };
  return [
    { hub: 'model.embed_tokens.weight', ours: 'tok_emb.weight', shape: [V, C] },
    ...Array.from({ length: c.nLayers }, (_, i) => layer(i)).flat(),
    { hub: 'model.norm.weight', ours: 'final_norm.weight', shape: [C] },
    ...(c.tieWeights ? [] : [{ hub: 'lm_head.weight', ours: 'out_head.weight', shape: [V, C] }]),
  ];
}

export const llama3: Family<Llama3Config> = {
  name: 'llama3',
  modelTypes: ['llama'],
  architectures: ['LlamaForCausalLM'],
  configFromHF: llama3ConfigFromHF,
  configToHF: llama3ConfigToHF,
  eosTokenIds: (c) => c.eosTokenIds,
  create: (c, init) => new Llama3Model(c, init),
  hubTensors: llama3HubTensors,
  parameterCount: (c) => countParameters(llama3HubTensors(c), c),
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
    ropeScaling: c.ropeScaling.type,
    tiedEmbeddings: c.tieWeights,
  }),
};
