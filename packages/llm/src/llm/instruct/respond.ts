// Section 7.7: the fine-tuned model's responses. Each entry's prompt is continued greedily until the
// end token (or maxNewTokens), and the text after `### Response:` is the answer; the book writes the
// test set with a `model_response` field to instruction-data-with-response.json.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from 'llm-scratch-core/errors';
import { loadModelDir, parseConfigJson, readModelKind } from '../families/gpt2.js';
import { readTextFile } from '../../io/text-file.js';
import type { BPETokenizer } from '../fundamentals.js';
import { generate, promptWindow, type PromptWindow } from '../generate.js';
import type { GPTModel } from '../gpt.js';
import { extractResponse, formatPrompt, PAD_TOKEN_ID, type InstructionEntry } from '../instruction.js';
import { mergeLoRA } from '../lora.js';
import { loadLoRAAdapters, LORA_FILE, TRAINER_FILE } from '../train/checkpoint.js';

export interface RespondOptions {
  // The book generates up to 256 tokens.
  maxNewTokens: number;
  temperature?: number;
  topK?: number;
  seed?: number;
  // Told when the prompt is longer than the model's context and loses its beginning.
  onCropped?: (window: PromptWindow) => void;
}

export type EntryWithResponse<E> = E & { model_response: string };

// A language model directory, or the checkpoint of a LoRA run (base weights plus lora.safetensors:
// the adapters are merged in). A classifier has no language-model head and is refused.
export function loadInstructModel(dir: string): GPTModel {
  if (existsSync(join(dir, 'config.json')) && readModelKind(dir) === 'classifier') {
    throw new UserError(
      `${dir}: a classifier, not a language model; give an instruction-tuned model directory`,
    );
  }
  const model = loadModelDir(dir);
  if (existsSync(join(dir, LORA_FILE))) {
    const trainerPath = join(dir, TRAINER_FILE);
    const trainer = parseConfigJson(readTextFile(trainerPath), trainerPath);
    if (!trainer.lora) throw new UserError(`${dir}: ${LORA_FILE} without a LoRA config in ${TRAINER_FILE}`);
    loadLoRAAdapters(dir, model, trainer.lora, trainerPath);
    mergeLoRA(model);
  }
  return model.eval();
}

// The model's answer to one instruction (the book's generate + extraction).
export function respond(
  model: GPTModel,
  tokenizer: BPETokenizer,
  entry: Pick<InstructionEntry, 'instruction' | 'input'>,
  options: RespondOptions,
): string {
  const prompt = formatPrompt(entry);
  const ids = tokenizer.encode(prompt);
  const window = promptWindow(ids.length, model.config.contextLength);
  if (window.cropped) options.onCropped?.(window);
  const out = generate(model, ids, {
    maxNewTokens: options.maxNewTokens,
    temperature: options.temperature,
    topK: options.topK,
    seed: options.seed,
    eosId: PAD_TOKEN_ID,
  });
  const answer = out[out.length - 1] === PAD_TOKEN_ID ? out.slice(0, -1) : out;
  return extractResponse(tokenizer.decode([...ids, ...answer]), prompt);
}

export async function respondAll<E extends InstructionEntry>(
  model: GPTModel,
  tokenizer: BPETokenizer,
  entries: readonly E[],
  options: RespondOptions,
  onEach?: (done: number, entry: EntryWithResponse<E>) => void,
): Promise<EntryWithResponse<E>[]> {
  const out: EntryWithResponse<E>[] = [];
  for (const entry of entries) {
    out.push({ ...entry, model_response: respond(model, tokenizer, entry, options) });
    onEach?.(out.length, out[out.length - 1]);
    // Let the event loop breathe between entries (progress, signals).
    await new Promise((resolve) => setImmediate(resolve));
  }
  return out;
}
