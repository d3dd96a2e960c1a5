// A generation as the server runs it: through the model's batcher (batcher.ts: decoded together
// with the other requests on that model), or, for a model the decoder does not run, the library's
// token-by-token generator alone, with a turn of the event loop between tokens. Either way
// streamed tokens reach the socket as they come and a client's disconnect stops the work.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { generateTokens } from '../llm/generate.js';
import type { BPETokenizer } from '../llm/fundamentals.js';
import type { GPTModel } from '../llm/gpt.js';
import type { Batcher, FinishReason, SequenceOptions, SequenceResult } from './batcher.js';

export { promptWindow, type PromptWindow } from '../llm/generate.js';
export type { FinishReason } from './batcher.js';

export const END_OF_TEXT = 50256;

export interface SamplingOptions {
  maxNewTokens: number;
  temperature: number;
  topK?: number;
  topP?: number;
  seed: number;
}

export interface GenerationResult {
  // The new tokens, the end-of-text token included when it came.
  ids: number[];
  // Their text, without the end-of-text token.
  text: string;
  finishReason: FinishReason;
}

export interface RunOptions {
  signal?: AbortSignal;
  // Each piece of text as soon as its bytes complete characters (a token may end mid UTF-8 sequence).
  onText?: (text: string) => void;
}

// What runs a generation: a served model, with its batcher when the decoder runs it.
export interface GenerationTarget {
  model: GPTModel;
  batcher: Batcher | null;
}

export async function runGeneration(
  target: GenerationTarget,
  tokenizer: BPETokenizer,
  promptIds: readonly number[],
  sampling: SamplingOptions,
  options: RunOptions = {},
): Promise<GenerationResult> {
  const decoder = new TextDecoder('utf-8');
  const onToken = (id: number) => {
    if (id === END_OF_TEXT) return;
    const piece = decoder.decode(tokenizer.decodeBytes([id]), { stream: true });
    if (piece) options.onText?.(piece);
  };
  const sequence: SequenceOptions = { ...sampling, eosId: END_OF_TEXT, signal: options.signal, onToken };
  const { ids, finishReason } = target.batcher
    ? await target.batcher.generate(promptIds, sequence)
    : await generateAlone(target.model, promptIds, sequence);
  const tail = decoder.decode();
  if (tail) options.onText?.(tail);
  return { ids, text: tokenizer.decode(ids.filter((id) => id !== END_OF_TEXT)), finishReason };
}

// One generation holding the model to itself (a model the batcher cannot run).
async function generateAlone(
  model: GPTModel,
  promptIds: readonly number[],
  options: SequenceOptions,
): Promise<SequenceResult> {
  const ids: number[] = [];
  let finishReason: FinishReason = 'length';
  const tokens = generateTokens(model, promptIds, options);
  try {
    for (;;) {
      if (options.signal?.aborted) {
        finishReason = 'aborted';
        break;
      }
      const step = tokens.next();
      if (step.done) break;
      ids.push(step.value);
      options.onToken?.(step.value);
      if (step.value === options.eosId) {
        finishReason = 'stop';
        break;
      }
      await nextTurn();
    }
  } finally {
    tokens.return();
  }
  return { ids, finishReason };
}
