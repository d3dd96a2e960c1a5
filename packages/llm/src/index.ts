// The library: `import { ... } from 'llm-scratch'`. A curated list, not everything in src/: what a
// user builds, loads, tokenizes, generates and trains with. The CLI commands, the server's routes
// and the internals of each family stay private so that they can change without a major version.

// Tensors and autograd: Tensor (its methods attached), creation, every op with its gradient,
// noGrad, the seeded random generator, and the kernel backend (native or TypeScript).
export * from './tensor/index.js';
export { availableBackends, useBackend, type BackendName, type Kernels } from './backend/index.js';

// Layers and optimizers, as PyTorch's torch.nn and torch.optim.
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';

// Tokenizers: GPT-2's byte-level BPE (tiktoken's 'gpt2' encoding), a Hugging Face tokenizer.json,
// and whichever of the two a model directory holds; BPE training (chapter 2).
export {
  BPETokenizer,
  HFTokenizer,
  gpt2Tokenizer,
  loadTokenizer,
  trainBPE,
  type BPETrainOptions,
  type EncodeOptions,
  type Tokenizer,
} from './llm/fundamentals.js';
export { loadTokenizerDir } from './llm/tokenizer/directory.js';

// The model families: GPT-2 (the book's GPTModel), Llama 3, Qwen3 and Gemma 3, chosen by a model
// directory's config.json; presets of GPT-2 sizes.
export { GPTModel, modelSize, presetConfig, PRESETS, type GPTConfig, type ModelSize } from './llm/gpt.js';
export { Llama3Model, type Llama3Config } from './llm/families/llama3.js';
export { Qwen3Model, type Qwen3Config } from './llm/families/qwen3.js';
export { Gemma3Model, type Gemma3Config } from './llm/families/gemma3.js';
export type { CausalLM, ForwardOptions, ModelShape } from './llm/families/family.js';
export { supportedModelTypes } from './llm/families/registry.js';

// Loading and saving: a Hugging Face model directory (config.json, model.safetensors or shards),
// safetensors files, and a download from the Hub.
export { loadModel, saveModel } from './llm/families/load.js';
export {
  parseSafetensors,
  readSafetensors,
  writeSafetensors,
  type SafetensorsFile,
} from './io/safetensors.js';
export { pullModel, type PullRequest, type PullResult } from './io/hub/pull.js';

// Generation: sampling with temperature, top-k and top-p, a KV cache, streaming token by token.
export { generate, generateTokens, generateTextSimple, type GenerateOptions } from './llm/generate.js';
export { KVCache } from './llm/kv-cache.js';

// Training (chapter 5): data windows and loaders, the losses, the train loop with AdamW and its
// schedule, checkpoints; LoRA (appendix E).
export { createDataloaderV1, DataLoader, GPTDatasetV1, type Batch } from './llm/text.js';
export { calcLossBatch, calcLossLoader, evaluateModel, perplexity, sampleText } from './llm/pretrain.js';
export {
  initialState,
  makeOptimizer,
  trainModel,
  type TrainHooks,
  type TrainOptions,
  type TrainResult,
} from './llm/train/loop.js';
export { loadCheckpoint, saveCheckpoint, type TrainerState } from './llm/train/checkpoint.js';
export { applyLoRA, mergeLoRA, type LoRAOptions } from './llm/lora.js';
