// One choice of an OpenAI completion: a generation whose text ends before the first stop sequence,
// with the log-probabilities of its tokens when asked, passed on in pieces that are final (no text
// that may be the start of a stop sequence) for streaming.
import { runGeneration, type GenerationTarget, type SamplingOptions } from '../generation.js';
import { tokenLogprobs, type TokenLogprobs } from './logprobs.js';
import { StopScanner } from './stops.js';

export interface ChoiceToken extends TokenLogprobs {
  // Where its text starts in the choice's text.
  offset: number;
}

export interface ChoiceOptions {
  sampling: SamplingOptions;
  stop: readonly string[];
  // How many alternatives to report per token; undefined: no log-probabilities.
  topLogprobs?: number;
  signal: AbortSignal;
  // Final text and the tokens it completes, in order.
  onDelta?: (text: string, tokens: ChoiceToken[]) => void;
}

export interface ChoiceResult {
  text: string;
  // The choice's tokens with their log-probabilities (null when not asked for).
  tokens: ChoiceToken[] | null;
  finishReason: 'stop' | 'length';
  // Tokens generated, the end token included.
  completionTokens: number;
}

export async function runChoice(
  target: GenerationTarget,
  promptIds: readonly number[],
  options: ChoiceOptions,
): Promise<ChoiceResult> {
  const wantLogprobs = options.topLogprobs !== undefined;
  const tokens: ChoiceToken[] = [];
  let released = 0;
  const scanner = new StopScanner(options.stop, (text, end) => {
    // A token is passed on with the text it starts in.
    let upTo = released;
    while (upTo < tokens.length && tokens[upTo].offset < end) upTo++;
    const fresh = tokens.slice(released, upTo);
    released = upTo;
    if (text || fresh.length) options.onDelta?.(text, fresh);
  });
  // A stop sequence ends the generation as a departed client does.
  const stopped = new AbortController();
  const signal = AbortSignal.any([options.signal, stopped.signal]);
  let logits: Float32Array | null = null;
  const result = await runGeneration(target, promptIds, options.sampling, {
    signal,
    onLogits: wantLogprobs ? (l) => (logits = l.slice()) : undefined,
    onPiece: (id, piece) => {
      if (scanner.stopped) return;
      if (id !== null && wantLogprobs && logits)
        tokens.push({ ...tokenLogprobs(logits, id, options.topLogprobs ?? 0), offset: scanner.value.length });
      if (scanner.push(piece)) stopped.abort();
    },
  });
  if (!scanner.stopped) {
    scanner.flush();
    // Tokens whose text never came (an unfinished character at the very end).
    if (released < tokens.length) options.onDelta?.('', tokens.slice(released));
  }
  const cut = scanner.value.length;
  return {
    text: scanner.value,
    tokens: wantLogprobs
      ? tokens.filter((t) => t.offset < cut || (!scanner.stopped && t.offset === cut))
      : null,
    finishReason: result.finishReason === 'length' && !scanner.stopped ? 'length' : 'stop',
    completionTokens: result.ids.length,
  };
}
