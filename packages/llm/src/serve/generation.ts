// A generation as the server runs it: through the model's batcher (batcher.ts: decoded together
// with the other requests on that model), or, for a model the decoder does not run (another family,
// a model with layers it does not know), the library's token-by-token generator alone, with a turn
// of the event loop between tokens. Either way streamed tokens reach the socket as they come and a
// client's disconnect stops the work.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { CausalLM } from '../llm/families/family.js';
import { generateTokens } from '../llm/generate.js';
import type { Tokenizer } from '../llm/tokenizer/tokenizer.js';
import type { Batcher, FinishReason, SequenceOptions, SequenceResult } from './batcher.js';

export { promptWindow, type PromptWindow } from '../llm/generate.js';
export type { FinishReason } from './batcher.js';

export interface SamplingOptions {
  maxNewTokens: number;
  temperature: number;
  topK?: number;
  topP?: number;
  seed: number;
}

export interface GenerationResult {
  // The new tokens, the end token included when it came.
  ids: number[];
  // Their text, without the end token.
  text: string;
  finishReason: FinishReason;
}

export interface RunOptions {
  signal?: AbortSignal;
  // Each piece of text as soon as its bytes complete characters (a token may end mid UTF-8 sequence).
  onText?: (text: string) => void;
  // Each token but the end token with the text it completes ('' while its character is unfinished),
  // and at the end (id null) what is left of an unfinished character.
  onPiece?: (id: number | null, text: string) => void;
  // The logits (V) each token is chosen from, before it is chosen.
  onLogits?: (logits: Float32Array) => void;
}

// What runs a generation: a served model, with its batcher when the decoder runs it.
export interface GenerationTarget {
  model: CausalLM;
  batcher: Batcher | null;
  tokenizer: Tokenizer;
  eosIds: readonly number[];
}

export async function runGeneration(
  target: GenerationTarget,
  promptIds: readonly number[],
  sampling: SamplingOptions,
  options: RunOptions = {},
): Promise<GenerationResult> {
  const { tokenizer, eosIds } = target;
  const decoder = new TextDecoder('utf-8');
  const onToken = (id: number) => {
    if (eosIds.includes(id)) return;
    const piece = decoder.decode(tokenizer.decodeBytes([id]), { stream: true });
    options.onPiece?.(id, piece);
    if (piece) options.onText?.(piece);
  };
  const sequence: SequenceOptions = {
    ...sampling,
    eosIds,
    signal: options.signal,
    onToken,
    onLogits: options.onLogits,
  };
  const { ids, finishReason } = target.batcher
    ? await target.batcher.generate(promptIds, sequence)
    : await generateAlone(target.model, promptIds, sequence);
  const tail = decoder.decode();
  if (tail) {
    options.onPiece?.(null, tail);
    options.onText?.(tail);
  }
  return { ids, text: tokenizer.decode(ids.filter((id) => !eosIds.includes(id))), finishReason };
}

// One generation holding the model to itself (a model the batcher cannot run).
async function generateAlone(
  model: CausalLM,
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
      if (options.eosIds?.includes(step.value)) {
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
