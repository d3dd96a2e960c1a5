// GPT-2 weights in and out, in the Hugging Face layout (model.safetensors + config.json), so a model
// trained here continues in transformers and OpenAI's GPT-2 checkpoints load here.
// The mapping is one declared table: HF name -> our parameter path, with the Conv1D weights
// (stored [in, out]) transposed into our Linear layout ([out, in]) and c_attn split into q, k, v.
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { GPTModel, validateConfig, type GPTConfig } from '../llm/gpt.js';
import * as T from '../tensor/index.js';
import { formatShape, Tensor } from '../tensor/index.js';
import { writeFileAtomic } from './atomic.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';

// Buffers some HF checkpoints carry (the causal mask); they are derived, not learned.
const IGNORED = [/^h\.\d+\.attn\.(masked_)?bias$/];

interface Mapping {
  hf: string;
  ours: string[];
  // Conv1D weight: stored [in, out]; split: how many equal parts along the output axis.
  conv1d?: boolean;
}

function layerMappings(i: number): Mapping[] {
  const h = `h.${i}`;
  const b = `trf_blocks.${i}`;
  const qkv = (suffix: string) => ['W_query', 'W_key', 'W_value'].map((w) => `${b}.att.${w}.${suffix}`);
  return [
    { hf: `${h}.ln_1.weight`, ours: [`${b}.norm1.scale`] },
    { hf: `${h}.ln_1.bias`, ours: [`${b}.norm1.shift`] },
    { hf: `${h}.attn.c_attn.weight`, ours: qkv('weight'), conv1d: true },
    { hf: `${h}.attn.c_attn.bias`, ours: qkv('bias') },
    { hf: `${h}.attn.c_proj.weight`, ours: [`${b}.att.out_proj.weight`], conv1d: true },
    { hf: `${h}.attn.c_proj.bias`, ours: [`${b}.att.out_proj.bias`] },
    { hf: `${h}.ln_2.weight`, ours: [`${b}.norm2.scale`] },
    { hf: `${h}.ln_2.bias`, ours: [`${b}.norm2.shift`] },
    { hf: `${h}.mlp.c_fc.weight`, ours: [`${b}.ff.layers.0.weight`], conv1d: true },
    { hf: `${h}.mlp.c_fc.bias`, ours: [`${b}.ff.layers.0.bias`] },
    { hf: `${h}.mlp.c_proj.weight`, ours: [`${b}.ff.layers.2.weight`], conv1d: true },
    { hf: `${h}.mlp.c_proj.bias`, ours: [`${b}.ff.layers.2.bias`] },
  ];
}

export function gpt2Mappings(config: GPTConfig): Mapping[] {
  return [
    { hf: 'wte.weight', ours: ['tok_emb.weight'] },
    { hf: 'wpe.weight', ours: ['pos_emb.weight'] },
    ...Array.from({ length: config.nLayers }, (_, i) => layerMappings(i)).flat(),
    { hf: 'ln_f.weight', ours: ['final_norm.scale'] },
    { hf: 'ln_f.bias', ours: ['final_norm.shift'] },
  ];
}

interface HFConfig {
  vocab_size?: number;
  n_positions?: number;
  n_ctx?: number;
  n_embd?: number;
  n_layer?: number;
  n_head?: number;
  layer_norm_epsilon?: number;
  tie_word_embeddings?: boolean;
  resid_pdrop?: number;
  // Our own fields, kept beside HF's (transformers ignores unknown keys).
  llm_scratch?: Partial<GPTConfig>;
}

export function configFromHF(hf: HFConfig, file: string): GPTConfig {
  const need = (key: keyof HFConfig) => {
    const v = hf[key];
    if (typeof v !== 'number') throw new UserError(`${file}: missing or non-numeric '${key}'`);
    return v;
  };
  const config: GPTConfig = {
    vocabSize: need('vocab_size'),
    contextLength: need('n_positions'),
    embDim: need('n_embd'),
    nLayers: need('n_layer'),
    nHeads: need('n_head'),
    dropRate: hf.llm_scratch?.dropRate ?? hf.resid_pdrop ?? 0.1,
    // OpenAI's GPT-2 has biases on the q/k/v projections.
    qkvBias: hf.llm_scratch?.qkvBias ?? true,
    tieWeights: hf.tie_word_embeddings ?? true,
  };
  validateConfig(config);
  return config;
}

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
    bos_token_id: 50256,
    eos_token_id: 50256,
    tie_word_embeddings: config.tieWeights ?? false,
    llm_scratch: { qkvBias: config.qkvBias, dropRate: config.dropRate, kind },
  };
}

// Our tensors for one HF tensor: transposed from Conv1D and split into equal parts.
function toOurs(t: Tensor, m: Mapping): Tensor[] {
  const parts = m.ours.length;
  if (m.conv1d) {
    const w = t.transpose(0, 1); // [in, out] -> [out, in]
    return parts === 1 ? [w] : w.chunk(parts, 0);
  }
  return parts === 1 ? [t] : t.chunk(parts, 0);
}

function toHF(ours: Tensor[], m: Mapping): Tensor {
  const joined = ours.length === 1 ? ours[0] : T.concat(ours, 0);
  return m.conv1d ? joined.transpose(0, 1) : joined;
}

// Strips transformers' `transformer.` prefix (GPT2LMHeadModel) so both layouts load.
function normalizeName(name: string): string {
  return name.startsWith('transformer.') ? name.slice('transformer.'.length) : name;
}

export function importGPT2(tensors: Map<string, Tensor>, config: GPTConfig, file: string): GPTModel {
  const source = new Map([...tensors].map(([k, v]) => [normalizeName(k), v]));
  // Every weight is loaded next, so the random initialisation is skipped.
  const model = new GPTModel(config, { skipInit: true });
  const own = model.stateDict();
  const used = new Set<string>();
  const state = new Map<string, Tensor>();
  const problems: string[] = [];
  for (const m of gpt2Mappings(config)) {
    const t = source.get(m.hf);
    if (!t) {
      // A model without q/k/v bias may be saved without it; GPT-2 proper always has one.
      if (!config.qkvBias && m.hf.endsWith('c_attn.bias')) continue;
      problems.push(`missing tensor '${m.hf}'`);
      continue;
    }
    used.add(m.hf);
    const pieces = toOurs(t, m);
    m.ours.forEach((name, i) => {
      const target = own.get(name);
      if (!target) return; // q/k/v biases when the config has none
      if (pieces[i].shape.join() !== target.shape.join()) {
        problems.push(
          `tensor '${m.hf}' has shape ${formatShape(t.shape)}, which does not fit ${name} ${formatShape(target.shape)}`,
        );
      } else {
        state.set(name, pieces[i]);
      }
    });
  }
  const head = source.get('lm_head.weight');
  if (head) used.add('lm_head.weight');
  if (!config.tieWeights) {
    const w = head ?? source.get('wte.weight');
    if (w) state.set('out_head.weight', w);
  }
  const unexpected = [...source.keys()].filter((k) => !used.has(k) && !IGNORED.some((r) => r.test(k)));
  if (unexpected.length)
    problems.push(
      `unexpected tensors: ${unexpected.slice(0, 5).join(', ')}${unexpected.length > 5 ? ', ...' : ''}`,
    );
  if (problems.length) throw new UserError(`${file}: ${problems.join('; ')}`);
  model.loadStateDict(state);
  return model;
}

// The model's tensors under HF names; `pick` selects what to export of each parameter (its value by
// default, or e.g. its gradient, to compare with a PyTorch run in the HF layout).
export function exportGPT2(model: GPTModel, pick: (p: Tensor) => Tensor = (p) => p): Map<string, Tensor> {
  const own = model.stateDict();
  const out = new Map<string, Tensor>();
  for (const m of gpt2Mappings(model.config)) {
    // A model without q/k/v bias exports zeros there: GPT-2's layout always has them.
    const ours = m.ours.map((name) =>
      own.has(name) ? pick(own.get(name)!) : T.zeros([model.config.embDim]),
    );
    out.set(m.hf, toHF(ours, m));
  }
  if (!model.config.tieWeights) out.set('lm_head.weight', pick(model.out_head.weight));
  return out;
}

export const MODEL_FILE = 'model.safetensors';
export const CONFIG_FILE = 'config.json';

// What a model directory holds, for the commands and the server that load it: a language model
// ('base'), one fine-tuned to follow Alpaca-style instructions ('instruct', chapter 7), or a
// classifier (chapter 6: HF's GPT2ForSequenceClassification layout with `id2label`).
export type ModelKind = 'base' | 'instruct' | 'classifier';

// A model directory's config.json, parsed; one-line errors name the file.
export function readConfigJson<T>(dir: string): { config: T; path: string } {
  const path = join(dir, CONFIG_FILE);
  if (!existsSync(path)) throw new UserError(`${dir}: missing ${CONFIG_FILE}`);
  try {
    return { config: JSON.parse(readFileSync(path, 'utf8')) as T, path };
  } catch (err) {
    throw new UserError(`${path}: not valid JSON (${(err as Error).message})`);
  }
}

export function readModelKind(dir: string): ModelKind {
  const hf = readConfigJson<{ architectures?: unknown; llm_scratch?: { kind?: unknown } }>(dir).config;
  if (Array.isArray(hf.architectures) && hf.architectures.includes('GPT2ForSequenceClassification'))
    return 'classifier';
  const kind = hf.llm_scratch?.kind;
  return kind === 'instruct' || kind === 'classifier' ? kind : 'base';
}

// Loads a model directory: model.safetensors with config.json beside it.
export function loadModelDir(dir: string): GPTModel {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UserError(`${dir}: not a model directory (expected ${MODEL_FILE} and ${CONFIG_FILE} inside)`);
  }
  const { config: hf, path } = readConfigJson<HFConfig>(dir);
  const config = configFromHF(hf, path);
  const weights = join(dir, MODEL_FILE);
  return importGPT2(readSafetensors(weights).tensors, config, weights);
}

export function saveModelDir(dir: string, model: GPTModel, kind: ModelKind = 'base'): void {
  mkdirSync(dir, { recursive: true });
  writeSafetensors(join(dir, MODEL_FILE), exportGPT2(model), { format: 'pt' });
  writeFileAtomic(join(dir, CONFIG_FILE), [JSON.stringify(configToHF(model.config, kind), null, 2) + '\n']);
}
