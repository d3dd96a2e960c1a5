// Which weight type a command decodes with: --dtype when given, otherwise the type the model file
// stores its matrices in (a bf16 checkpoint stays bf16; everything else is f32).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { UsageError } from 'llm-scratch-core/errors';
import { MODEL_FILE } from './families/gpt2.js';
import { readSafetensorsHeader } from '../io/safetensors.js';
import { keepWeightsInBf16, WEIGHT_DTYPES, type WeightDType } from './decoder.js';
import type { GPTModel } from './gpt.js';

// 'bf16' when most of the file's bytes are BF16 tensors (its matrices), 'f32' otherwise.
export function storedWeightDType(dir: string): WeightDType {
  const file = join(dir, MODEL_FILE);
  // A directory loaded another way (a LoRA checkpoint, say) holds float32 weights.
  if (!existsSync(file)) return 'f32';
  let bf16 = 0;
  let total = 0;
  for (const t of readSafetensorsHeader(file).tensors.values()) {
    total += t.end - t.begin;
    if (t.dtype === 'BF16') bf16 += t.end - t.begin;
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

// Runs a full garbage collection, so that the float32 arrays a bf16 model released leave memory
// now: V8 frees an ArrayBuffer only after a major collection, and decoding allocates too little to
// trigger one (the model would sit at f32 size plus bf16 for the whole run). The backing stores are
// then unmapped in the background, within a few hundred milliseconds.
export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}
