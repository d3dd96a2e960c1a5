// A generation as the server runs it: the library's token-by-token generator, with a turn of the
// event loop between tokens so that streamed tokens reach the socket and a client's disconnect is
// noticed (and stops the work) while the model is busy.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { generateTokens } from '../llm/generate.js';

export { promptWindow, type PromptWindow } from '../llm/generate.js';
import type { BPETokenizer } from '../llm/fundamentals.js';
import type { GPTModel } from '../llm/gpt.js';

export const END_OF_TEXT = 50256;

export interface SamplingOptions {
  maxNewTokens: number;
  temperature: number;
  topK?: number;
  topP?: number;
  seed: number;
}

// 'stop': the end-of-text token; 'length': maxNewTokens reached; 'aborted': the client left.
export type FinishReason = 'stop' | 'length' | 'aborted';

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

export async function runGeneration(
  model: GPTModel,
  tokenizer: BPETokenizer,
  promptIds: readonly number[],
  sampling: SamplingOptions,
  options: RunOptions = {},
): Promise<GenerationResult> {
  const decoder = new TextDecoder('utf-8');
  const ids: number[] = [];
  const textIds: number[] = [];
  let finishReason: FinishReason = 'length';
  const tokens = generateTokens(model, promptIds, { ...sampling, eosId: END_OF_TEXT });
  try {
    for (;;) {
      if (options.signal?.aborted) {
        finishReason = 'aborted';
        break;
      }
      const step = tokens.next();
      if (step.done) break;
      const id = step.value;
      ids.push(id);
      if (id === END_OF_TEXT) {
        finishReason = 'stop';
        break;
      }
      textIds.push(id);
      const piece = decoder.decode(tokenizer.decodeBytes([id]), { stream: true });
      if (piece) options.onText?.(piece);
      await nextTurn();
    }
  } finally {
    tokens.return();
  }
  const tail = decoder.decode();
  if (tail) options.onText?.(tail);
  return { ids, text: tokenizer.decode(textIds), finishReason };
}
