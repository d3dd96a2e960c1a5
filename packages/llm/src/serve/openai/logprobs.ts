// Log-probabilities of the tokens a model chose, as OpenAI reports them: log-softmax of the logits
// the token was drawn from (before temperature, top-k or top-p, as OpenAI's and vLLM's are), with
// the most likely alternatives. Computed in float64 from the float32 logits.
import type { Tokenizer } from '../../llm/tokenizer/tokenizer.js';

export interface TokenChoice {
  id: number;
  logprob: number;
}

export interface TokenLogprobs extends TokenChoice {
  // The most likely tokens at this position, most likely first.
  top: TokenChoice[];
}

// log-softmax(logits)[id] and the `top` most likely tokens.
export function tokenLogprobs(logits: Float32Array, id: number, top: number): TokenLogprobs {
  let max = -Infinity;
  for (const l of logits) if (l > max) max = l;
  let sum = 0;
  for (const l of logits) sum += Math.exp(l - max);
  const logZ = max + Math.log(sum);
  // The top few by insertion into a short sorted list (top <= 20, V ~ 50k).
  const best: TokenChoice[] = [];
  if (top > 0) {
    for (let i = 0; i < logits.length; i++) {
      const l = logits[i];
      if (best.length === top && l <= best[top - 1].logprob) continue;
      let at = best.length;
      while (at > 0 && best[at - 1].logprob < l) at--;
      best.splice(at, 0, { id: i, logprob: l });
      if (best.length > top) best.pop();
    }
  }
  return {
    id,
    logprob: logits[id] - logZ,
    top: best.map((b) => ({ id: b.id, logprob: b.logprob - logZ })),
  };
}

// A token as OpenAI shows it: its text alone (U+FFFD where it ends mid character) and its bytes.
export function tokenText(tokenizer: Tokenizer, id: number): { token: string; bytes: number[] } {
  return { token: tokenizer.decode([id]), bytes: Array.from(tokenizer.decodeBytes([id])) };
}
