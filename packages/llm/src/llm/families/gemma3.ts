// Gemma 3 (text), model_type `gemma3_text`: the book's bonus notebooks
// ch05/12_gemma3/standalone-gemma3.ipynb and standalone-gemma3-plus-kvcache.ipynb, and transformers'
// models/gemma3/modeling_gemma3.py (Gemma3ForCausalLM). From Llama 3 (llama3.ts):
// - RMSNorm scales by (1 + w): the stored weights are offsets from one (Gemma3RMSNorm);
// - the token embeddings are multiplied by sqrt(hidden_size) (Gemma3TextScaledWordEmbedding; HF
//   casts that factor to the weights' dtype; float32 here, the activations' dtype whatever the
//   weights are held in);
// - attention scores are scaled by query_pre_attn_scalar^-0.5 instead of head_dim^-0.5, queries
//   and keys are normalised per head (q_norm, k_norm, also (1 + w));
// - each block normalises both before and after attention and before and after the feed-forward
//   (input_layernorm, post_attention_layernorm, pre_feedforward_layernorm, post_feedforward_layernorm);
// - local layers (layer_types `sliding_attention`, or every layer but each sliding_window_pattern-th
//   in older configs) see only the last sliding_window positions and rotate with their own base
//   rope_local_base_freq; global layers use rope_theta and rope_scaling;
// - the feed-forward is gated by tanh-GELU (GeGLU, hidden_activation gelu_pytorch_tanh);
// - optional tanh soft-capping of attention scores and of the final logits; tied embeddings by default.
// The multimodal `gemma3` checkpoints (Gemma3ForConditionalGeneration) are not read: their text
// weights live under another prefix beside a vision tower.
// Shapes: B batch, T tokens, C width, V vocabulary.
import { UserError } from 'llm-scratch-core/errors';
import { Embedding, type InitOptions, Linear, Module, ModuleList, RMSNorm } from '../../nn/index.js';
import * as T from '../../tensor/index.js';
import { globalRng, type Tensor } from '../../tensor/index.js';
import { type LayerCache, type RowCaches, softcapped } from '../kv-cache.js';
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
import { Gemma3Cache } from './gemma3-cache.js';
import { countParameters } from './hub-map.js';
import { parseRopeScaling, type RopeScaling, ropeScalingToHF, RotaryEmbedding } from './rope.js';

export type Gemma3LayerType = 'sliding_attention' | 'full_attention';
const LAYER_TYPES: readonly Gemma3LayerType[] = ['sliding_attention', 'full_attention'];

export interface Gemma3Config extends ModelShape {
  vocabSize: number;
  // max_position_embeddings.
  contextLength: number;
  // hidden_size C, and the feed-forward's intermediate_size.
  embDim: number;
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  nKVHeads: number;
  headDim: number;
  rmsNormEps: number;
  // Scores are multiplied by queryPreAttnScalar^-0.5.
  queryPreAttnScalar: number;
  layerTypes: Gemma3LayerType[];
  // How many positions (the query's own included) a local layer sees.
  slidingWindow: number;
  // Global layers: rope_theta with rope_scaling; local layers: rope_local_base_freq, unscaled.
  ropeTheta: number;
  ropeScaling: RopeScaling;
  ropeLocalTheta: number;
  attnSoftcap: number | null;
  finalSoftcap: number | null;
  attentionBias: boolean;
  tieWeights: boolean;
  bosTokenId: number | null;
  padTokenId: number | null;
  eosTokenIds: number[];
  // The dtype config.json records for the weights (torch_dtype).
  dtype: string;
}

// attn_logit_softcapping / final_logit_softcapping: null or absent is no cap.
function softcapField(f: ConfigFields, key: string): number | null {
  return f.hf[key] === undefined || f.hf[key] === null ? null : f.positive(key, 0);
}

// layer_types, or the older sliding_window_pattern (every n-th layer global, the rest local).
function layerTypesFromHF(hf: Record<string, unknown>, f: ConfigFields, nLayers: number): Gemma3LayerType[] {
  const t = hf.layer_types;
  if (t !== undefined && t !== null) {
    if (
      !Array.isArray(t) ||
      t.length !== nLayers ||
      !t.every((x) => LAYER_TYPES.includes(x as Gemma3LayerType))
    )
      throw new UserError(
        `${f.file}: 'layer_types' must list ${nLayers} of ${LAYER_TYPES.map((x) => JSON.stringify(x)).join(', ')}`,
      );
    return t as Gemma3LayerType[];
  }
  const key = hf.sliding_window_pattern !== undefined ? 'sliding_window_pattern' : '_sliding_window_pattern';
  const pattern = f.size(key, SIZE_LIMITS.layers, 6);
  return Array.from({ length: nLayers }, (_, i) =>
    (i + 1) % pattern ? 'sliding_attention' : 'full_attention',
  );
}

// transformers 5 writes rope_parameters per layer type instead of rope_theta, rope_scaling and
// rope_local_base_freq; read either.
function ropeFromHF(
  hf: Record<string, unknown>,
  f: ConfigFields,
): Pick<Gemma3Config, 'ropeTheta' | 'ropeScaling' | 'ropeLocalTheta'> {
  const params = hf.rope_parameters;
  if (params && typeof params === 'object' && !Array.isArray(params) && 'full_attention' in params) {
    const byType = params as Record<string, unknown>;
    const theta = (type: string, fallback: number): number => {
      const p = byType[type];
      const v = p && typeof p === 'object' ? (p as Record<string, unknown>).rope_theta : undefined;
      if (v === undefined) return fallback;
      if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v))
        throw new UserError(`${f.file}: rope_parameters.${type}.rope_theta must be a positive number`);
      return v;
    };
    return {
      ropeTheta: theta('full_attention', 1_000_000),
      ropeScaling: parseRopeScaling(byType.full_attention, `${f.file} (rope_parameters.full_attention)`),
      ropeLocalTheta: theta('sliding_attention', 10_000),
    };
  }
  return {
    ropeTheta: f.positive('rope_theta', 1_000_000),
    ropeScaling: parseRopeScaling(hf.rope_scaling, f.file),
    ropeLocalTheta: f.positive('rope_local_base_freq', 10_000),
  };
}

export function gemma3ConfigFromHF(hf: Record<string, unknown>, file: string): Gemma3Config {
  const f = new ConfigFields(hf, file);
  f.choice('hidden_activation', ['gelu_pytorch_tanh'], 'gelu_pytorch_tanh');
  if (hf.use_bidirectional_attention === true)
    throw new UserError(
      `${file}: 'use_bidirectional_attention' true is an embedding model (EmbeddingGemma), not a causal language model`,
    );
  const nHeads = f.size('num_attention_heads', SIZE_LIMITS.heads, 8);
  const nKVHeads = f.size('num_key_value_heads', SIZE_LIMITS.heads, 4);
  if (nHeads % nKVHeads !== 0)
    throw new UserError(
      `${file}: num_attention_heads ${nHeads} must be a multiple of num_key_value_heads ${nKVHeads}`,
    );
  const headDim = f.size('head_dim', SIZE_LIMITS.width, 256);
  if (headDim % 2 !== 0) throw new UserError(`${file}: the head size ${headDim} must be even for RoPE`);
  const nLayers = f.size('num_hidden_layers', SIZE_LIMITS.layers, 26);
  return {
    vocabSize: f.size('vocab_size', SIZE_LIMITS.vocab, 262_208),
    contextLength: f.size('max_position_embeddings', SIZE_LIMITS.positions, 131_072),
    embDim: f.size('hidden_size', SIZE_LIMITS.width, 2304),
    hiddenDim: f.size('intermediate_size', SIZE_LIMITS.width * 8, 9216),
    nLayers,
    nHeads,
    nKVHeads,
    headDim,
    rmsNormEps: f.positive('rms_norm_eps', 1e-6),
    queryPreAttnScalar: f.positive('query_pre_attn_scalar', 256),
    layerTypes: layerTypesFromHF(hf, f, nLayers),
    slidingWindow: f.size('sliding_window', SIZE_LIMITS.positions, 4096),
    ...ropeFromHF(hf, f),
    attnSoftcap: softcapField(f, 'attn_logit_softcapping'),
    finalSoftcap: softcapField(f, 'final_logit_softcapping'),
    attentionBias: f.boolean('attention_bias', false),
    tieWeights: f.boolean('tie_word_embeddings', true),
    // Gemma3TextConfig's defaults when config.json leaves the ids out.
    bosTokenId: hf.bos_token_id === undefined ? 2 : f.tokenId('bos_token_id'),
    padTokenId: hf.pad_token_id === undefined ? 0 : f.tokenId('pad_token_id'),
    eosTokenIds: hf.eos_token_id === undefined ? [1] : f.tokenIds('eos_token_id'),
    dtype: f.dtype(),
  };
}

export function gemma3ConfigToHF(c: Gemma3Config): Record<string, unknown> {
  return {
    architectures: ['Gemma3ForCausalLM'],
    model_type: 'gemma3_text',
    vocab_size: c.vocabSize,
    max_position_embeddings: c.contextLength,
    hidden_size: c.embDim,
    intermediate_size: c.hiddenDim,
    num_hidden_layers: c.nLayers,
    num_attention_heads: c.nHeads,
    num_key_value_heads: c.nKVHeads,
    head_dim: c.headDim,
    hidden_activation: 'gelu_pytorch_tanh',
    rms_norm_eps: c.rmsNormEps,
    query_pre_attn_scalar: c.queryPreAttnScalar,
    layer_types: c.layerTypes,
    sliding_window: c.slidingWindow,
    rope_theta: c.ropeTheta,
    rope_scaling: ropeScalingToHF(c.ropeScaling),
    rope_local_base_freq: c.ropeLocalTheta,
    attn_logit_softcapping: c.attnSoftcap,
    final_logit_softcapping: c.finalSoftcap,
    attention_bias: c.attentionBias,
    attention_dropout: 0.0,
    use_bidirectional_attention: false,
    tie_word_embeddings: c.tieWeights,
    bos_token_id: c.bosTokenId,
    pad_token_id: c.padTokenId,
    eos_token_id: tokenIdsToHF(c.eosTokenIds),
    initializer_range: 0.02,
    use_cache: true,
    torch_dtype: c.dtype,
  };
}

type Rope = { cos: Tensor; sin: Tensor };

// Normalised before and after each of attention and the feed-forward, each around a shortcut.
export class Gemma3Block extends Module {
  input_layernorm: RMSNorm;
  att: GroupedQueryAttention;
  post_attention_layernorm: RMSNorm;
  pre_feedforward_layernorm: RMSNorm;
  ff: GatedFeedForward;
  post_feedforward_layernorm: RMSNorm;

  constructor(
    c: Gemma3Config,
    readonly layerType: Gemma3LayerType,
    init: InitOptions,
  ) {
    super();
    const norm = () => new RMSNorm(c.embDim, c.rmsNormEps, true);
    this.input_layernorm = norm();
    this.att = new GroupedQueryAttention(
      {
        embDim: c.embDim,
        nHeads: c.nHeads,
        nKVHeads: c.nKVHeads,
        headDim: c.headDim,
        qkvBias: c.attentionBias,
        outBias: c.attentionBias,
        qkNorm: { eps: c.rmsNormEps, unitOffset: true },
        scale: c.queryPreAttnScalar ** -0.5,
        window: layerType === 'sliding_attention' ? c.slidingWindow : undefined,
        softcap: c.attnSoftcap ?? undefined,
      },
      init,
    );
    this.post_attention_layernorm = norm();
    this.pre_feedforward_layernorm = norm();
    this.ff = new GatedFeedForward(c.embDim, c.hiddenDim, 'gelu_tanh', init);
    this.post_feedforward_layernorm = norm();
  }

  forward(x: Tensor, rope: Rope, cache?: LayerCache | RowCaches): Tensor {
    const attended = this.att.forward(this.input_layernorm.forward(x), rope, cache);
    const h = x.add(this.post_attention_layernorm.forward(attended)); // (B, T, C)
    const fed = this.ff.forward(this.pre_feedforward_layernorm.forward(h));
    return h.add(this.post_feedforward_layernorm.forward(fed));
  }
}

export class Gemma3Model extends Module implements CausalLM {
  readonly family = 'gemma3';
  readonly config: Gemma3Config;
  readonly eosTokenIds: readonly number[];
  tok_emb: Embedding;
  trf_blocks: ModuleList<Gemma3Block>;
  final_norm: RMSNorm;
  out_head: Linear;
  private readonly globalRope: RotaryEmbedding;
  private readonly localRope: RotaryEmbedding;

  constructor(config: Gemma3Config, options: InitOptions = {}) {
    super();
    this.config = { ...config, layerTypes: [...config.layerTypes] };
    this.eosTokenIds = config.eosTokenIds;
    const init = { ...options, rng: options.rng ?? globalRng };
    this.tok_emb = new Embedding(config.vocabSize, config.embDim, init);
    this.trf_blocks = new ModuleList(config.layerTypes.map((type) => new Gemma3Block(config, type, init)));
    this.final_norm = new RMSNorm(config.embDim, config.rmsNormEps, true);
    this.out_head = new Linear(config.embDim, config.vocabSize, { ...init, bias: false });
    if (config.tieWeights) this.out_head.weight = this.tok_emb.weight;
    const { headDim, contextLength } = config;
    this.globalRope = new RotaryEmbedding(headDim, config.ropeTheta, config.ropeScaling, contextLength);
    this.localRope = new RotaryEmbedding(headDim, config.ropeLocalTheta, { type: 'default' }, contextLength);
  }

  forward(ids: Tensor, options: ForwardOptions = {}): Tensor {
    const [, Tn] = ids.shape;
    const starts = forwardStarts(options, ids, this.config.contextLength, 'Gemma3Model');
    const ropes = {
      sliding_attention: forwardRope(this.localRope, starts, Tn, options),
      full_attention: forwardRope(this.globalRope, starts, Tn, options),
    };
    // sqrt(C) rounded to float32, the dtype every activation is computed in here.
    let x = T.affine(this.tok_emb.forward(ids), Math.fround(Math.sqrt(this.config.embDim))); // (B, T, C)
    [...this.trf_blocks].forEach((block, i) => {
      const { rope, rowRope } = ropes[block.layerType];
      x = block.forward(x, rope, layerCache(options, i, rowRope));
    });
    if (options.lastOnly && Tn > 1) x = x.narrow(1, Tn - 1, 1); // (B, 1, C)
    const h = this.final_norm.forward(x); // (B, T, C)
    if (options.hidden) return h;
    const logits = this.out_head.forward(h); // (B, T, V)
    return softcapped(logits, this.config.finalSoftcap);
  }

  // Local layers keep only the keys and values their window can still reach.
  newCache(batch = 1): Gemma3Cache {
    const { nKVHeads, contextLength, headDim, layerTypes, slidingWindow } = this.config;
    const windows = layerTypes.map((t) => (t === 'sliding_attention' ? slidingWindow : null));
    return new Gemma3Cache(windows, batch, nKVHeads, contextLength, headDim);
  }
}

// transformers' names (Gemma3ForCausalLM) for our parameters.
export function gemma3HubTensors(c: Gemma3Config): HubTensor[] {
  const { vocabSize: V, embDim: C, hiddenDim: H, nHeads: nh, nKVHeads: nkv, headDim: hs } = c;
  const layer = (i: number): HubTensor[] => {
    const hub = `model.layers.${i}`;
    const ours = `trf_blocks.${i}`;
    const norm = (name: string, dim = C): HubTensor => ({
      hub: `${hub}.${name}.weight`,
      ours: `${ours}.${name.replace('self_attn.', 'att.')}.weight`,
      shape: [dim],
    });
    const linear = (h: string, o: string, shape: number[], bias: boolean): HubTensor[] => [
      { hub: `${hub}.${h}.weight`, ours: `${ours}.${o}.weight`, shape },
      ...(bias ? [{ hub: `${hub}.${h}.bias`, ours: `${ours}.${o}.bias`, shape: [shape[0]] }] : []),
    ];
    return [
      norm('input_layernorm'),
      ...linear('self_attn.q_proj', 'att.W_query', [nh * hs, C], c.attentionBias),
      ...linear('self_attn.k_proj', 'att.W_key', [nkv * hs, C], c.attentionBias),
      ...linear('self_attn.v_proj', 'att.W_value', [nkv * hs, C], c.attentionBias),
      ...linear('self_attn.o_proj', 'att.out_proj', [C, nh * hs], c.attentionBias),
      norm('self_attn.q_norm', hs),
      norm('self_attn.k_norm', hs),
      norm('post_attention_layernorm'),
      norm('pre_feedforward_layernorm'),
      ...linear('mlp.gate_proj', 'ff.fc1', [H, C], false),
      ...linear('mlp.up_proj', 'ff.fc2', [H, C], false),
      ...linear('mlp.down_proj', 'ff.fc3', [C, H], false),
      norm('post_feedforward_layernorm'),
    ];
  };
  return [
    { hub: 'model.embed_tokens.weight', ours: 'tok_emb.weight', shape: [V, C] },
    ...Array.from({ length: c.nLayers }, (_, i) => layer(i)).flat(),
    { hub: 'model.norm.weight', ours: 'final_norm.weight', shape: [C] },
    ...(c.tieWeights ? [] : [{ hub: 'lm_head.weight', ours: 'out_head.weight', shape: [V, C] }]),
  ];
}

export const gemma3: Family<Gemma3Config> = {
  name: 'gemma3',
  modelTypes: ['gemma3_text'],
  architectures: ['Gemma3ForCausalLM'],
  configFromHF: gemma3ConfigFromHF,
  configToHF: gemma3ConfigToHF,
  eosTokenIds: (c) => c.eosTokenIds,
  create: (c, init) => new Gemma3Model(c, init),
  hubTensors: gemma3HubTensors,
  parameterCount: (c) => countParameters(gemma3HubTensors(c), c),
  summary: (c) => ({
    layers: c.nLayers,
    width: c.embDim,
    heads: c.nHeads,
    kvHeads: c.nKVHeads,
    headDim: c.headDim,
    feedForward: c.hiddenDim,
    vocabulary: c.vocabSize,
    context: c.contextLength,
    slidingLayers: c.layerTypes.filter((t) => t === 'sliding_attention').length,
    slidingWindow: c.slidingWindow,
    ropeTheta: c.ropeTheta,
    ropeLocalTheta: c.ropeLocalTheta,
    ropeScaling: c.ropeScaling.type,
    tiedEmbeddings: c.tieWeights,
  }),
};
