// The model presets by name, apart from the model so that the CLI's option tables (and --help)
// read them without loading the tensor library.
import { UserError } from 'llm-scratch-core/errors';
import type { GPTConfig } from './gpt.js';

const gpt2 = { vocabSize: 50257, contextLength: 1024, dropRate: 0.1, qkvBias: false };

// The book's GPT_CONFIG_124M and its larger siblings, plus small configs for tests and demos.
export const PRESETS: Record<string, GPTConfig> = {
  'gpt2-small': { ...gpt2, embDim: 768, nLayers: 12, nHeads: 12 },
  'gpt2-medium': { ...gpt2, embDim: 1024, nLayers: 24, nHeads: 16 },
  'gpt2-large': { ...gpt2, embDim: 1280, nLayers: 36, nHeads: 20 },
  'gpt2-xl': { ...gpt2, embDim: 1600, nLayers: 48, nHeads: 25 },
  // The demo that `npm start` pretrains on the-verdict in a few minutes.
  'gpt2-mini': { ...gpt2, contextLength: 128, embDim: 256, nLayers: 4, nHeads: 4 },
  // For tests: the full vocabulary, tiny everything else.
  'gpt2-tiny': { ...gpt2, contextLength: 64, embDim: 64, nLayers: 2, nHeads: 4 },
};

export function presetConfig(name: string): GPTConfig {
  const preset = PRESETS[name];
  if (!preset) throw new UserError(`unknown config '${name}'; presets: ${Object.keys(PRESETS).join(', ')}`);
  return { ...preset };
}
