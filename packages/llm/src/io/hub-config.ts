// config.json of a model directory in the Hugging Face layout, whatever the family: read,
// size-checked and parsed before anything else (each family validates its own fields:
// llm/families/). Our own fields live under `llm_scratch` (transformers ignores unknown keys).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from 'llm-scratch-core/errors';
import { checkRegularFile } from './input-file.js';
import { isJsonObject as isObject, describeJson as describe } from './json.js';

export const CONFIG_FILE = 'config.json';

// What a model directory holds, for the commands and the server that load it: a language model
// ('base'), one fine-tuned to follow Alpaca-style instructions ('instruct', chapter 7), or a
// classifier (chapter 6: HF's GPT2ForSequenceClassification layout with `id2label`).
export type ModelKind = 'base' | 'instruct' | 'classifier';

// A config.json file is a few hundred bytes; a much larger one is not a config.
const MAX_CONFIG_BYTES = 10_000_000;

// Parses config.json text; `file` names it in messages. The result is a JSON object.
export function parseConfigJson(text: string, file: string): Record<string, unknown> {
  let config: unknown;
  try {
    // A byte-order mark is legal in a UTF-8 file and illegal in JSON.
    config = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    const at = /position (\d+)/.exec((err as Error).message);
    throw new UserError(`${file}: not valid JSON${at ? ` (at character ${at[1]})` : ''}`);
  }
  if (!isObject(config)) throw new UserError(`${file}: expected a JSON object, got ${describe(config)}`);
  return config;
}

// A model directory's config.json, parsed; one-line errors name the file.
export function readConfigJson<T = Record<string, unknown>>(dir: string): { config: T; path: string } {
  const path = join(dir, CONFIG_FILE);
  try {
    checkRegularFile(path, CONFIG_FILE);
  } catch (err) {
    if ((err as Error).message.endsWith(': no such file'))
      throw new UserError(`${dir}: missing ${CONFIG_FILE}`);
    throw err;
  }
  return readConfigFile<T>(path);
}

// A config.json file given by its path.
export function readConfigFile<T = Record<string, unknown>>(path: string): { config: T; path: string } {
  const bytes = checkRegularFile(path, 'config').size;
  if (bytes > MAX_CONFIG_BYTES)
    throw new UserError(`${path}: ${bytes} bytes, too large for a config (limit ${MAX_CONFIG_BYTES})`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'read failed'}`);
  }
  return { config: parseConfigJson(text, path) as T, path };
}

export function readModelKind(dir: string): ModelKind {
  const hf = readConfigJson(dir).config;
  if (Array.isArray(hf.architectures) && hf.architectures.includes('GPT2ForSequenceClassification'))
    return 'classifier';
  const kind = isObject(hf.llm_scratch) ? hf.llm_scratch.kind : undefined;
  return kind === 'instruct' || kind === 'classifier' ? kind : 'base';
}
