// The log-probabilities of a choice in the two shapes OpenAI's endpoints use.
import type { Tokenizer } from '../../llm/tokenizer/tokenizer.js';
import type { ChoiceToken } from './choice.js';
import { tokenText } from './logprobs.js';

// /v1/completions: parallel lists, the alternatives as {token: logprob}, offsets into the choice's text.
export function completionLogprobs(tokenizer: Tokenizer, tokens: readonly ChoiceToken[]) {
  const text = (id: number) => tokenizer.decode([id]);
  return {
    tokens: tokens.map((t) => text(t.id)),
    token_logprobs: tokens.map((t) => t.logprob),
    top_logprobs: tokens.map((t) => Object.fromEntries(t.top.map((c) => [text(c.id), c.logprob]))),
    text_offset: tokens.map((t) => t.offset),
  };
}

// /v1/chat/completions: one entry per token with its bytes and alternatives.
export function chatLogprobs(tokenizer: Tokenizer, tokens: readonly ChoiceToken[]) {
  return {
    content: tokens.map((t) => ({
      ...tokenText(tokenizer, t.id),
      logprob: t.logprob,
      top_logprobs: t.top.map((c) => ({ ...tokenText(tokenizer, c.id), logprob: c.logprob })),
    })),
    refusal: null,
  };
}
