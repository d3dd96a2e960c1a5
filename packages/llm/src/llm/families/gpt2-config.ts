// config.json of a GPT-2 model directory (Hugging Face's GPT2Config, with our own fields under
// `llm_scratch`): validated before anything is allocated. A config comes from outside as often as
// weights do, so every field the model is built from is checked for type and range, and the sizes
// are bounded: a forged `n_layer: 1000000000` is refused here, not by the allocator.
import { UserError } from 'llm-scratch-core/errors';
import type { ModelKind } from '../../io/hub-config.js';
import type { GPTConfig } from '../gpt.js';
import { isJsonObject as isObject, describeJson as describe } from '../../io/json.js';

// The fields read from HF's GPT2Config: vocab_size, n_positions, n_embd, n_layer, n_head,
// tie_word_embeddings, resid_pdrop; our own under llm_scratch (transformers ignores unknown keys).
//
// Limits far above any GPT-2-shaped model that fits in memory (GPT-2 XL: 48 layers, 1,600 wide,
// 1,024 positions; the largest open models: ~128 layers, ~16k wide, 256k vocabulary, 128k
// positions). Nothing is allocated from these sizes until the weights' header agrees with them,
// and the header's byte ranges are bounded by the file's real size; the limits keep the checks
// themselves cheap (one expected tensor list per layer) and refuse the absurd at once.
export const CONFIG_LIMITS = {
  vocab_size: 1 << 24,
  n_positions: 1 << 20,
  n_embd: 1 << 16,
  n_layer: 1024,
  n_head: 1024,
} as const;

export function configFromHF(hf: unknown, file: string): GPTConfig {
  if (!isObject(hf)) throw new UserError(`${file}: expected a JSON object, got ${describe(hf)}`);
  // The commands not yet ported to families read GPT-2 alone: another family is named as such, not
  // as a GPT-2 config missing n_positions.
  if (typeof hf.model_type === 'string' && hf.model_type !== 'gpt2')
    throw new UserError(
      `${file}: model_type ${JSON.stringify(hf.model_type).slice(0, 40)} is not GPT-2, which this command runs (logits, generate, chat, serve and info run every family)`,
    );
  const size = (key: keyof typeof CONFIG_LIMITS): number => {
    const v = hf[key];
    if (v === undefined) throw new UserError(`${file}: missing '${key}'`);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
      throw new UserError(`${file}: '${key}' must be a positive integer, got ${describe(v)}`);
    if (v > CONFIG_LIMITS[key])
      throw new UserError(`${file}: '${key}' is ${v}, above the limit of ${CONFIG_LIMITS[key]}`);
    return v;
  };
  const vocabSize = size('vocab_size');
  const contextLength = size('n_positions');
  const embDim = size('n_embd');
  const nLayers = size('n_layer');
  const nHeads = size('n_head');
  if (embDim % nHeads !== 0)
    throw new UserError(`${file}: 'n_embd' ${embDim} is not divisible by 'n_head' ${nHeads}`);
  const ours = hf.llm_scratch ?? {};
  if (!isObject(ours)) throw new UserError(`${file}: 'llm_scratch' must be an object, got ${describe(ours)}`);
  const flag = (v: unknown, key: string, fallback: boolean): boolean => {
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean')
      throw new UserError(`${file}: '${key}' must be true or false, got ${describe(v)}`);
    return v;
  };
  const dropRate = ours.dropRate ?? hf.resid_pdrop ?? 0.1;
  if (typeof dropRate !== 'number' || !(dropRate >= 0 && dropRate < 1))
    throw new UserError(`${file}: the dropout rate must be a number in [0, 1), got ${describe(dropRate)}`);
  return {
    vocabSize,
    contextLength,
    embDim,
    nLayers,
    nHeads,
    dropRate,
    // OpenAI's GPT-2 has biases on the q/k/v projections.
    qkvBias: flag(ours.qkvBias, 'llm_scratch.qkvBias', true),
    tieWeights: flag(hf.tie_word_embeddings, 'tie_word_embeddings', true),
  };
}

// The version of transformers whose GPT2LMHeadModel.save_pretrained output this layout follows
// (config fields, tensor names, no attn.bias / masked_bias buffers: non-persistent in later 4.x and
// gone in 5.x). It names a layout, not a program that ran: transformers did not write the file.
export const TRANSFORMERS_LAYOUT_VERSION = '4.46.3';

// config.json as GPT2Config.save_pretrained writes it (configuration_gpt2.py's fields with their
// values for our model), plus `tie_word_embeddings` always written (transformers omits it when true,
// its default; written out, a separate head is never tied on load by a reader that forgot the
// default), `n_ctx` (the hub's openai-community/gpt2 config.json carries it; transformers keeps it
// as an unknown attribute) and our own fields under `llm_scratch`.
export function configToHF(config: GPTConfig, kind: ModelKind = 'base'): Record<string, unknown> {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: config.vocabSize,
    n_positions: config.contextLength,
    n_ctx: config.contextLength,
    n_embd: config.embDim,
    n_layer: config.nLayers,
    n_head: config.nHeads,
    n_inner: null,
    activation_function: 'gelu_new',
    layer_norm_epsilon: 1e-5,
    resid_pdrop: config.dropRate,
    embd_pdrop: config.dropRate,
    attn_pdrop: config.dropRate,
    initializer_range: 0.02,
    // GPT2DoubleHeadsModel's summary head; GPT2Config writes them whatever the class.
    summary_type: 'cls_index',
    summary_use_proj: true,
    summary_activation: null,
    summary_proj_to_labels: true,
    summary_first_dropout: 0.1,
    scale_attn_weights: true,
    scale_attn_by_inverse_layer_idx: false,
    reorder_and_upcast_attn: false,
    use_cache: true,
    bos_token_id: 50256,
    eos_token_id: 50256,
    tie_word_embeddings: config.tieWeights ?? false,
    // Our weights are written as float32 (io/hub-weights.ts).
    torch_dtype: 'float32',
    transformers_version: TRANSFORMERS_LAYOUT_VERSION,
    llm_scratch: { qkvBias: config.qkvBias, dropRate: config.dropRate, kind },
  };
}
