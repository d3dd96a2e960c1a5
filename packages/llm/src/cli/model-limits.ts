// Option values that must fit the model they are used with: token ids inside its vocabulary, a
// top-k no larger than it, lengths within its context. One place, so that every command that takes
// such an option says the same thing, naming the option and the model's limit.
import { UserError } from 'llm-scratch-core/errors';
import { configFromHF, readConfigJson } from '../llm/families/gpt2.js';

export interface ModelSize {
  vocabSize: number;
  contextLength: number;
}

export interface ModelBounded {
  // Options that are a token id ('eos-id'); a negative value means "none" and passes.
  tokenIds?: Record<string, number | undefined>;
  // Options that count tokens of the vocabulary ('top-k').
  vocabularyCounts?: Record<string, number | undefined>;
  // Options that are a number of positions ('context-length', 'max-length').
  lengths?: Record<string, number | undefined>;
}

/** The model's vocabulary and context from its config.json alone, before any weight is read. */
export function readModelSize(dir: string): ModelSize {
  const { config, path } = readConfigJson<Parameters<typeof configFromHF>[0]>(dir);
  const { vocabSize, contextLength } = configFromHF(config, path);
  return { vocabSize, contextLength };
}

const vocabulary = (m: ModelSize) => `the model's vocabulary (ids 0 to ${m.vocabSize - 1})`;

export function checkModelBounds(model: ModelSize, values: ModelBounded): void {
  for (const [flag, id] of Object.entries(values.tokenIds ?? {}))
    if (id !== undefined && id >= model.vocabSize)
      throw new UserError(`--${flag} ${id} is outside ${vocabulary(model)}`);
  for (const [flag, k] of Object.entries(values.vocabularyCounts ?? {}))
    if (k !== undefined && k > model.vocabSize)
      throw new UserError(`--${flag} ${k} is above the model's vocabulary of ${model.vocabSize} tokens`);
  for (const [flag, n] of Object.entries(values.lengths ?? {}))
    if (n !== undefined && n > model.contextLength)
      throw new UserError(`--${flag} ${n} is above the model's context length of ${model.contextLength}`);
}

/** Token ids of a prompt (from `flag`) must index the model's vocabulary. */
export function checkIdsInVocabulary(flag: string, ids: readonly number[], model: ModelSize): void {
  const bad = ids.find((id) => id < 0 || id >= model.vocabSize);
  if (bad !== undefined) throw new UserError(`--${flag}: token id ${bad} is outside ${vocabulary(model)}`);
}
