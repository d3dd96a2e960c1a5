// Which weight type a command decodes with: --dtype when given, otherwise the type the model file
// stores its matrices in (a bf16 checkpoint stays bf16; everything else is f32).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { UsageError } from 'llm-scratch-core/errors';
import { MODEL_FILE, openHubWeights, SHARD_INDEX } from '../io/hub-weights.js';
import { keepWeightsInBf16, WEIGHT_DTYPES, type WeightDType } from './decoder.js';
import type { GPTModel } from './gpt.js';
import type { CausalLM } from './families/family.js';
import { loadModel } from './families/load.js';

// 'bf16' when most of the weights' bytes are BF16 tensors (their matrices), 'f32' otherwise; one
// file or shards.
export function storedWeightDType(dir: string): WeightDType {
  // A directory loaded another way (a LoRA checkpoint, say) holds float32 weights.
  if (!existsSync(join(dir, MODEL_FILE)) && !existsSync(join(dir, SHARD_INDEX))) return 'f32';
  const weights = openHubWeights(dir);
  let bf16 = 0;
  let total = 0;
  try {
    for (const t of weights.tensors.values()) {
      total += t.end - t.begin;
      if (t.dtype === 'BF16') bf16 += t.end - t.begin;
    }
  } finally {
    weights.close();
  }
  return bf16 * 2 > total ? 'bf16' : 'f32';
}

// Checks the --dtype option; undefined (not given) stays undefined: the file decides once loaded.
export function parseWeightDType(value: string | undefined): WeightDType | undefined {
  if (value === undefined) return undefined;
  if (!(WEIGHT_DTYPES as readonly string[]).includes(value)) {
    throw new UsageError(`--dtype must be one of ${WEIGHT_DTYPES.join(', ')}, got '${value}'`);
  }
  return value as WeightDType;
}

// Puts a model loaded from dir in the weight type asked for, or the one its file stores: bf16
// keeps only bf16 copies of its matrices (decoding with the KV cache only); f32 leaves it as
// loaded.
export function applyWeightDType(model: GPTModel, dtype: WeightDType | undefined, dir: string): GPTModel {
  if ((dtype ?? storedWeightDType(dir)) === 'bf16') {
    keepWeightsInBf16(model);
    collectGarbage();
  }
  return model;
}

// Loads a model directory of any family for inference, with the weight type asked for or the one
// its files store: in bf16 the matrices of Llama 3, Qwen3 and Gemma 3 are read as bf16 and stay
// so (families/load.ts), GPT-2's are kept for its decoder (keepWeightsInBf16).
export function loadForInference(dir: string, dtype: WeightDType | undefined): CausalLM {
  const chosen = dtype ?? storedWeightDType(dir);
  const model = loadModel(dir, { dtype: chosen });
  if (chosen === 'bf16') collectGarbage();
  return model;
}

// Runs a full garbage collection, so that the float32 arrays a bf16 model released leave memory
// now: V8 frees an ArrayBuffer only after a major collection, and decoding allocates too little to
// trigger one (the model would sit at f32 size plus bf16 for the whole run). The backing stores are
// then unmapped in the background, within a few hundred milliseconds.
export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}
