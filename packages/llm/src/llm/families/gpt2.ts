// The GPT-2 family: its weights in and out in the Hugging Face layout (model.safetensors, or
// shards, + config.json), so a model trained here continues in transformers and OpenAI's GPT-2
// checkpoints load here. The model itself is chapter 4's (../gpt.ts).
// The mapping is one declared table: HF name -> our parameter path, with the Conv1D weights
// (stored [in, out]) transposed into our Linear layout ([out, in]) and c_attn split into q, k, v.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from 'llm-scratch-core/errors';
import { writeFileAtomic } from 'llm-scratch-core/io/atomic';
import { CONFIG_FILE, readConfigJson, type ModelKind } from '../../io/hub-config.js';
import {
  MODEL_FILE,
  openHubWeights,
  SHARD_INDEX,
  writeHubWeights,
  type WriteHubOptions,
} from '../../io/hub-weights.js';
import { quoteName } from '../../io/input-file.js';
import { FLOAT_DTYPES, type DType } from '../../io/safetensors.js';
import * as T from '../../tensor/index.js';
import { formatShape, Tensor } from '../../tensor/index.js';
import { GPTModel, type GPTConfig, modelSize } from '../gpt.js';
import type { Family } from './family.js';
import { configFromHF, configToHF } from './gpt2-config.js';
import { firstNonFinite, throwProblems, unexpectedTensors } from './hub-map.js';

export { CONFIG_LIMITS, configFromHF, configToHF } from './gpt2-config.js';
export {
  CONFIG_FILE,
  parseConfigJson,
  readConfigJson,
  readModelKind,
  type ModelKind,
} from '../../io/hub-config.js';
export { MODEL_FILE } from '../../io/hub-weights.js';

// Buffers some HF checkpoints carry (the causal mask); they are derived, not learned.
const IGNORED = [/^(transformer\.)?h\.\d+\.attn\.(masked_)?bias$/];

interface Mapping {
  hf: string;
  ours: string[];
  // The tensor's shape in the HF file, derived from the config.
  shape: number[];
  // Conv1D weight: stored [in, out]; split: how many equal parts along the output axis.
  conv1d?: boolean;
}

function layerMappings(i: number, C: number): Mapping[] {
  const h = `h.${i}`;
  const b = `trf_blocks.${i}`;
  const qkv = (suffix: string) => ['W_query', 'W_key', 'W_value'].map((w) => `${b}.att.${w}.${suffix}`);
  return [
    { hf: `${h}.ln_1.weight`, ours: [`${b}.norm1.scale`], shape: [C] },
    { hf: `${h}.ln_1.bias`, ours: [`${b}.norm1.shift`], shape: [C] },
    { hf: `${h}.attn.c_attn.weight`, ours: qkv('weight'), shape: [C, 3 * C], conv1d: true },
    { hf: `${h}.attn.c_attn.bias`, ours: qkv('bias'), shape: [3 * C] },
    { hf: `${h}.attn.c_proj.weight`, ours: [`${b}.att.out_proj.weight`], shape: [C, C], conv1d: true },
    { hf: `${h}.attn.c_proj.bias`, ours: [`${b}.att.out_proj.bias`], shape: [C] },
    { hf: `${h}.ln_2.weight`, ours: [`${b}.norm2.scale`], shape: [C] },
    { hf: `${h}.ln_2.bias`, ours: [`${b}.norm2.shift`], shape: [C] },
    { hf: `${h}.mlp.c_fc.weight`, ours: [`${b}.ff.layers.0.weight`], shape: [C, 4 * C], conv1d: true },
    { hf: `${h}.mlp.c_fc.bias`, ours: [`${b}.ff.layers.0.bias`], shape: [4 * C] },
    { hf: `${h}.mlp.c_proj.weight`, ours: [`${b}.ff.layers.2.weight`], shape: [4 * C, C], conv1d: true },
    { hf: `${h}.mlp.c_proj.bias`, ours: [`${b}.ff.layers.2.bias`], shape: [C] },
  ];
}

export function gpt2Mappings(config: GPTConfig): Mapping[] {
  const { vocabSize: V, contextLength: P, embDim: C } = config;
  return [
    { hf: 'wte.weight', ours: ['tok_emb.weight'], shape: [V, C] },
    { hf: 'wpe.weight', ours: ['pos_emb.weight'], shape: [P, C] },
    ...Array.from({ length: config.nLayers }, (_, i) => layerMappings(i, C)).flat(),
    { hf: 'ln_f.weight', ours: ['final_norm.scale'], shape: [C] },
    { hf: 'ln_f.bias', ours: ['final_norm.shift'], shape: [C] },
  ];
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

// GPT2PreTrainedModel.base_model_prefix: GPT2LMHeadModel and GPT2ForSequenceClassification hold the
// GPT2Model as `self.transformer`, so its tensors are saved as `transformer.wte.weight`, ...; the
// heads (`lm_head`, `score`) sit beside it, unprefixed. GPT2Model.save_pretrained, and this project
// before it wrote the prefix, use the bare names: both load.
export const BASE_MODEL_PREFIX = 'transformer.';

function normalizeName(name: string): string {
  return name.startsWith(BASE_MODEL_PREFIX) ? name.slice(BASE_MODEL_PREFIX.length) : name;
}

// What a tensor is, from a file's header or from memory: enough to check it before reading it.
export interface TensorInfo {
  dtype: DType;
  shape: readonly number[];
}

// The problems of a set of HF-named tensors (prefix already stripped) against the config: missing,
// unexpected, of a dtype the model cannot take, of the wrong shape (both shapes named), and an
// output head that contradicts tie_word_embeddings. Empty when the tensors fit.
function tensorProblems(source: Map<string, TensorInfo>, config: GPTConfig, prefixed = false): string[] {
  const problems: string[] = [];
  // Messages name a tensor as the file does.
  const shown = (name: string) => (prefixed && name !== 'lm_head.weight' ? BASE_MODEL_PREFIX + name : name);
  // The layer count first: one line says more than a thousand missing tensors.
  const layers = new Set<number>();
  for (const name of source.keys()) {
    const m = /^h\.(\d+)\./.exec(name);
    if (m) layers.add(Number(m[1]));
  }
  if (layers.size > 0 && layers.size !== config.nLayers)
    problems.push(`holds ${layers.size} layers (h.N.*), config.json says n_layer ${config.nLayers}`);
  const expected = gpt2Mappings(config);
  const head = source.get('lm_head.weight');
  const used = new Set<string>(['lm_head.weight']);
  const check = (name: string, info: TensorInfo, shape: number[]) => {
    if (!FLOAT_DTYPES.includes(info.dtype))
      problems.push(`tensor '${shown(name)}' is ${info.dtype}; the model takes ${FLOAT_DTYPES.join(', ')}`);
    else if (info.shape.join() !== shape.join())
      problems.push(
        `tensor '${shown(name)}' has shape ${formatShape([...info.shape])}, expected ${formatShape(shape)}`,
      );
  };
  for (const m of expected) {
    used.add(m.hf);
    const info = source.get(m.hf);
    // A model without q/k/v bias may be saved without it; GPT-2 proper always has one.
    if (!info) {
      if (!(!config.qkvBias && m.hf.endsWith('c_attn.bias')))
        problems.push(`missing tensor '${shown(m.hf)}'`);
    } else check(m.hf, info, m.shape);
  }
  if (head) check('lm_head.weight', head, [config.vocabSize, config.embDim]);
  else if (!config.tieWeights)
    problems.push(
      "no 'lm_head.weight', but config.json says tie_word_embeddings: false (set it to true to use wte.weight as the output head)",
    );
  const unexpected = unexpectedTensors([...source.keys()].map(shown), new Set([...used].map(shown)), IGNORED);
  if (unexpected) problems.push(unexpected);
  return problems;
}

// Whether a file uses transformers' names (any tensor under the prefix).
function isPrefixed(names: Iterable<string>): boolean {
  for (const k of names) if (k.startsWith(BASE_MODEL_PREFIX)) return true;
  return false;
}

function withoutPrefix<V>(tensors: Map<string, V>): Map<string, V> {
  return new Map([...tensors].map(([k, v]) => [normalizeName(k), v]));
}

// Checks a file's tensors (from its header) against the config, before anything is allocated.
export function checkGPT2Tensors(tensors: Map<string, TensorInfo>, config: GPTConfig, file: string): void {
  throwProblems(file, tensorProblems(withoutPrefix(tensors), config, isPrefixed(tensors.keys())));
}

const info = (t: Tensor): TensorInfo => ({ dtype: t.dtype === 'int32' ? 'I32' : 'F32', shape: t.shape });

// Where importGPT2 reads a model's tensors from: a file's headers and one tensor at a time (the
// peak is then the model and one tensor, not the file widened beside it), or tensors in memory.
export interface GPT2TensorSource {
  // Every tensor's dtype and shape, by its name in the file.
  readonly infos: Map<string, TensorInfo>;
  read(name: string): Tensor;
}

function inMemory(tensors: Map<string, Tensor>): GPT2TensorSource {
  return { infos: new Map([...tensors].map(([k, t]) => [k, info(t)])), read: (name) => tensors.get(name)! };
}

export function importGPT2(
  tensors: Map<string, Tensor> | GPT2TensorSource,
  config: GPTConfig,
  file: string,
): GPTModel {
  const source = tensors instanceof Map ? inMemory(tensors) : tensors;
  throwProblems(file, tensorProblems(withoutPrefix(source.infos), config, isPrefixed(source.infos.keys())));
  // The file's name of each tensor, by its name without the prefix.
  const stored = new Map([...source.infos.keys()].map((k) => [normalizeName(k), k]));
  const read = (name: string): Tensor | null => {
    const t = stored.has(name) ? source.read(stored.get(name)!) : null;
    // A flipped exponent bit in the data makes a NaN or an infinity that no header check sees; it
    // would surface as a sampling failure deep in generation.
    const at = t ? firstNonFinite(t.data) : -1;
    if (at >= 0)
      throw new UserError(
        `${file}: tensor ${quoteName(name)} holds ${t!.data[at]} at element ${at} (corrupted data?)`,
      );
    return t;
  };
  // Every weight is loaded next, so the random initialisation is skipped.
  const model = new GPTModel(config, { skipInit: true });
  const own = model.stateDict();
  for (const m of gpt2Mappings(config)) {
    const t = read(m.hf);
    if (!t) continue; // the q/k/v bias of a model without one
    // q/k/v biases only when the config has them.
    toOurs(t, m).forEach((piece, i) => own.get(m.ours[i])?.f32().set(piece.f32()));
  }
  const head = read('lm_head.weight');
  // A tied model has no head of its own: a stored one that differs would be silently dropped, and
  // which of the two the author meant is not ours to guess (transformers would tie and drop it).
  if (head && config.tieWeights && !sameValues(head, model.tok_emb.weight))
    throw new UserError(
      `${file}: 'lm_head.weight' differs from 'wte.weight', but config.json says tie_word_embeddings: true (set it to false to use the stored head)`,
    );
  if (!config.tieWeights) model.out_head.weight.f32().set(head!.f32());
  return model;
}

// The tensors GPT2LMHeadModel.save_pretrained writes for this model: the GPT2Model's under the
// `transformer.` prefix, and `lm_head.weight` only when the head is separate (a tied head is the
// embedding itself; save_pretrained drops it via _tied_weights_keys and from_pretrained ties it).
export function saveableGPT2Tensors(model: GPTModel): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [name, t] of exportGPT2(model))
    out.set(name === 'lm_head.weight' ? name : BASE_MODEL_PREFIX + name, t);
  return out;
}

function sameValues(a: Tensor, b: Tensor): boolean {
  return a.shape.join() === b.shape.join() && a.data.every((v, i) => Object.is(v, b.data[i]));
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

// The single weights file of a directory, for readers of one file (the classifier), with what is
// wrong when there is none to read.
export function modelWeightsFile(dir: string): string {
  const weights = join(dir, MODEL_FILE);
  if (!existsSync(weights) && existsSync(join(dir, SHARD_INDEX)))
    throw new UserError(
      `${dir}: sharded weights (${SHARD_INDEX}) are not supported here; merge the shards into one ${MODEL_FILE}`,
    );
  return weights;
}

function checkDirExists(dir: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UserError(`${dir}: not a model directory (expected ${MODEL_FILE} and ${CONFIG_FILE} inside)`);
  }
}

// Checks a model directory without reading its weights: config.json, then the weights' headers
// (one file or shards) against it. Returns the config, so that options can be checked against the
// model it describes.
export function checkModelDir(dir: string): GPTConfig {
  checkDirExists(dir);
  const { config: hf, path } = readConfigJson(dir);
  const config = configFromHF(hf, path);
  const weights = openHubWeights(dir);
  try {
    checkGPT2Tensors(
      weights.tensors,
      config,
      weights.files.length === 1 ? weights.files[0] : join(dir, SHARD_INDEX),
    );
  } finally {
    weights.close();
  }
  return config;
}

// Loads a model directory: model.safetensors (or shards) with config.json beside it, checked
// before the model is allocated.
export function loadModelDir(dir: string): GPTModel {
  const config = checkModelDir(dir);
  const weights = openHubWeights(dir);
  try {
    const where = weights.files.length === 1 ? weights.files[0] : join(dir, SHARD_INDEX);
    const ignored = (name: string) => IGNORED.some((r) => r.test(normalizeName(name)));
    const infos = new Map([...weights.tensors].filter(([name]) => !ignored(name)));
    return importGPT2({ infos, read: (name) => weights.read(name) }, config, where);
  } finally {
    weights.close();
  }
}

export function saveModelDir(
  dir: string,
  model: GPTModel,
  kind: ModelKind = 'base',
  options: WriteHubOptions = {},
): void {
  mkdirSync(dir, { recursive: true });
  writeHubWeights(dir, saveableGPT2Tensors(model), options);
  writeFileAtomic(join(dir, CONFIG_FILE), [JSON.stringify(configToHF(model.config, kind), null, 2) + '\n']);
}

export const gpt2: Family<GPTConfig> = {
  name: 'gpt2',
  modelTypes: ['gpt2'],
  architectures: ['GPT2LMHeadModel'],
  configFromHF,
  configToHF: (c) => configToHF(c),
  // GPT-2's <|endoftext|>, whatever config.json says (our GPT-2 commands always stopped there).
  eosTokenIds: () => [50256],
  create: (c, init) => new GPTModel(c, init),
  hubTensors: (c) => gpt2Mappings(c).map((m) => ({ hub: m.hf, ours: m.ours.join(' + '), shape: m.shape })),
  parameterCount: (c) => {
    const { parameters } = modelSize(c);
    return { total: parameters, nonEmbedding: parameters - c.vocabSize * c.embDim * (c.tieWeights ? 1 : 2) };
  },
  summary: (c) => ({
    layers: c.nLayers,
    width: c.embDim,
    heads: c.nHeads,
    vocabulary: c.vocabSize,
    context: c.contextLength,
    qkvBias: c.qkvBias,
    tiedEmbeddings: c.tieWeights ?? false,
  }),
  ownLoader: {
    check: checkModelDir,
    load: loadModelDir,
    save: (dir, model, options) => saveModelDir(dir, model as GPTModel, 'base', options),
  },
};
