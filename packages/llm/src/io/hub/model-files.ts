// Which files of a hub repository make a model directory llm-scratch loads: the config, the
// safetensors weights (one file, or the shards its index names) and the tokenizer's files, all at
// the repository's top level. Left out on purpose: the same weights in other formats
// (pytorch_model.bin, *.pth, flax, onnx/, gguf) and subfolders such as Llama's original/.
export const SHARD_INDEX = 'model.safetensors.index.json';

// Small files read beside the weights: the model's config, its generation defaults, and what the
// tokenizers and chat templates of the four families read (chat_template.jinja is where newer
// transformers save a template instead of tokenizer_config.json).
export const SMALL_FILES = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'vocab.json',
  'merges.txt',
  'tokenizer.model',
  'chat_template.jinja',
  'chat_template.json',
] as const;

export interface ModelFileChoice {
  // Files to fetch first: the small ones, and the shard index when there is one.
  first: string[];
  // The weights when there is no index (every top-level *.safetensors); with an index, the shards
  // come from weightsFromIndex once the index is on disk.
  weights: string[];
  index: string | null;
}

/** The model files among a repository's paths (as its tree lists them). */
export function chooseModelFiles(paths: string[]): ModelFileChoice {
  const top = new Set(paths.filter((p) => !p.includes('/')));
  const first = SMALL_FILES.filter((f) => top.has(f)) as string[];
  const index = top.has(SHARD_INDEX) ? SHARD_INDEX : null;
  if (index) first.push(index);
  const weights = index ? [] : [...top].filter((p) => p.endsWith('.safetensors')).sort();
  return { first, weights, index };
}

/** The shard files a model.safetensors.index.json names, in order, each once. */
export function weightsFromIndex(json: unknown): string[] | string {
  const map = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) return 'it has no weight_map object';
  const files = Object.values(map as Record<string, unknown>);
  const bad = files.find((f) => typeof f !== 'string' || f.includes('/') || !f.endsWith('.safetensors'));
  if (bad !== undefined)
    return `its weight_map names ${JSON.stringify(bad)}, not a top-level .safetensors file`;
  return [...new Set(files as string[])].sort();
}
