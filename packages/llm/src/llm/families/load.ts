// Loading and saving a model directory of any family in the Hugging Face layout: config.json picks
// the family (registry.ts) and is validated by it; the weights' headers (one file or shards,
// io/hub-weights.ts) are checked against the family's declared map before anything is allocated;
// then each tensor is read (widened to float32) straight into the model, one at a time.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from 'llm-scratch-core/errors';
import { writeFileAtomic } from 'llm-scratch-core/io/atomic';
import { CONFIG_FILE, readConfigJson } from '../../io/hub-config.js';
import {
  MODEL_FILE,
  openHubWeights,
  SHARD_INDEX,
  type HubWeights,
  type WriteHubOptions,
  writeHubWeights,
} from '../../io/hub-weights.js';
import { toBf16 } from '../../backend/bf16.js';
import { adviseHugePages, bf16Arena } from '../../backend/huge-pages.js';
import { bf16Bits, keepInBf16 } from '../../tensor/bf16-weights.js';
import { keepWeightsInBf16, type WeightDType } from '../decoder.js';
import { GPTModel } from '../gpt.js';
import type { AnyFamily, CausalLM, ModelShape } from './family.js';
import { exportByMap, loadIntoModel, tensorProblems, throwProblems } from './hub-map.js';
import { familyFor, familyNamed } from './registry.js';

export interface ModelDirInfo {
  family: AnyFamily;
  config: ModelShape;
  // config.json's eos_token_id (GPT-2: 50256).
  eosTokenIds: number[];
}

// config.json alone, validated by its family.
export function readFamilyConfig(dir: string): ModelDirInfo {
  const { config: hf, path } = readConfigJson(dir);
  const family = familyFor(hf, path);
  const config = family.configFromHF(hf, path) as ModelShape;
  return { family, config, eosTokenIds: family.eosTokenIds(config) };
}

const where = (dir: string, weights: HubWeights) =>
  weights.files.length === 1 ? weights.files[0] : join(dir, SHARD_INDEX);

function checkTensors(dir: string, weights: HubWeights, info: ModelDirInfo): void {
  const tied = (info.config as { tieWeights?: boolean }).tieWeights ?? false;
  throwProblems(
    where(dir, weights),
    tensorProblems(weights.tensors, info.family.hubTensors(info.config), tied),
  );
}

function checkIsDir(dir: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UserError(`${dir}: not a model directory (expected ${MODEL_FILE} and ${CONFIG_FILE} inside)`);
}

// Checks a model directory without reading its weights: config.json, then the weights' headers
// against the family's map. Returns what the commands check their options against.
export function checkModelDir(dir: string): ModelDirInfo {
  checkIsDir(dir);
  const info = readFamilyConfig(dir);
  if (info.family.ownLoader) {
    info.family.ownLoader.check(dir);
    return info;
  }
  const weights = openHubWeights(dir);
  try {
    checkTensors(dir, weights, info);
  } finally {
    weights.close();
  }
  return info;
}

export interface LoadOptions {
  // 'bf16': the matrices kept in bfloat16 only, for inference (half the memory, about twice the
  // decode speed); training or changing such a model is refused, saving it writes BF16. GPT-2 keeps
  // its bf16 for its decoder (keepWeightsInBf16). Default 'f32'.
  dtype?: WeightDType;
}

// Loads a model directory of any family.
export function loadModel(dir: string, options: LoadOptions = {}): CausalLM {
  checkIsDir(dir);
  const info = readFamilyConfig(dir);
  const bf16 = options.dtype === 'bf16';
  if (info.family.ownLoader) {
    const model = info.family.ownLoader.load(dir);
    if (bf16) keepMatricesInBf16(model);
    return model;
  }
  const weights = openHubWeights(dir);
  try {
    checkTensors(dir, weights, info);
    // Every weight is read next, so the random initialisation is skipped.
    const model = info.family.create(info.config, { skipInit: true });
    loadIntoModel(model, weights, info.family.hubTensors(info.config), { bf16 });
    return model;
  } finally {
    weights.close();
  }
}

// What loading with dtype bf16 does, for a model made in memory: every matrix (2-D parameter)
// rounded to bf16 (nearest even) and kept so only. GPT-2 keeps its bf16 for its decoder.
export function keepMatricesInBf16(model: CausalLM): void {
  if (model instanceof GPTModel) return keepWeightsInBf16(model);
  const matrices = model.parameters().filter((p) => p.ndim === 2 && !bf16Bits(p));
  const slices = bf16Arena(matrices.map((p) => p.size));
  matrices.forEach((p, i) => keepInBf16(p, toBf16(p.f32(), slices[i])));
  adviseHugePages(slices);
}

// Saves a model in the layout it loads from: config.json as transformers writes it for the family,
// and model.safetensors (or shards above maxShardBytes).
export function saveModel(dir: string, model: CausalLM, options: WriteHubOptions = {}): void {
  const family = familyNamed(model.family);
  if (!family) throw new Error(`saveModel: no family named ${model.family}`);
  if (family.ownLoader) return family.ownLoader.save(dir, model, options);
  mkdirSync(dir, { recursive: true });
  writeHubWeights(dir, exportByMap(model, family.hubTensors(model.config)), options);
  const hf = family.configToHF(model.config);
  // A model loaded in bf16 is written in bf16 (its matrices as they are held), and says so.
  if (model.parameters().some((p) => bf16Bits(p))) hf.torch_dtype = 'bfloat16';
  writeFileAtomic(join(dir, CONFIG_FILE), [JSON.stringify(hf, null, 2) + '\n']);
}
