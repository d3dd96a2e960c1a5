// Generating text (chapter 4's generate_text_simple, chapter 5's generate with temperature and
// top-k, plus top-p, an end token, a seed, streaming and the KV cache).
import * as T from '../tensor/index.js';
import { noGrad, Rng, Tensor } from '../tensor/index.js';
import { Decoder, decoderSupports, type WeightDType } from './decoder.js';
import type { CausalLM } from './families/family.js';
import { GPTModel } from './gpt.js';

// Section 4.7: greedy decoding over a batch of ids (B, T), cropping to the supported context.
export function generateTextSimple(
  model: CausalLM,
  ids: Tensor,
  maxNewTokens: number,
  contextSize: number,
): Tensor {
  return noGrad(() => {
    let seq = ids;
    for (let i = 0; i < maxNewTokens; i++) {
      const Tn = seq.shape[1];
      const cond = Tn > contextSize ? seq.narrow(1, Tn - contextSize, contextSize) : seq;
      const last = model.forward(cond, { lastOnly: true }).squeeze(1); // (B, V)
      const next = last.argmax(-1, { keepdim: true }); // (B, 1)
      seq = T.concat([seq, next], 1);
    }
    return seq;
  });
}

export interface GenerateOptions {
  maxNewTokens: number;
  // 0 (the default) is greedy decoding.
  temperature?: number;
  // Keep only the k most likely tokens before sampling.
  topK?: number;
  // Keep the smallest set of tokens whose probability reaches p (nucleus sampling).
  topP?: number;
  seed?: number;
  // Stop when this token (or any of eosIds) is produced (it is included in the result).
  eosId?: number;
  eosIds?: readonly number[];
  // Context window to crop to; the model's context length by default.
  contextSize?: number;
  // Reuse keys and values of earlier tokens (true by default); the tokens are identical either way.
  kvCache?: boolean;
  // Weights of the cached decode path: float32 (the default) or bfloat16, half the bytes to read
  // per token (converted once per model; activations stay float32).
  dtype?: WeightDType;
  // Called with each new token as soon as it is chosen.
  onToken?: (id: number) => void;
  // Called with the logits (V) each token is chosen from, before it is chosen (serve's logprobs).
  onLogits?: (logits: Float32Array) => void;
}

// Picks the next token from the logits of one position (V): greedy at temperature 0, otherwise a
// draw from softmax(logits / temperature) restricted to the top-k tokens and then to the nucleus
// of probability topP. (Tokens tied with the k-th logit are left out; the book keeps them.)
export function sampleNext(logits: Tensor, options: GenerateOptions, rng: Rng): number {
  const temperature = options.temperature ?? 0;
  const vocab = logits.size;
  const k = options.topK !== undefined ? Math.min(Math.max(1, options.topK), vocab) : vocab;
  if (temperature <= 0) return k === vocab ? logits.argmax().item() : T.topk(logits, 1).indices.data[0];
  const needSorted = k < vocab || (options.topP !== undefined && options.topP < 1);
  // Candidates in descending order of logit (all of them when neither top-k nor top-p applies).
  const candidates = needSorted ? T.topk(logits, k) : { values: logits, indices: null };
  let probs = candidates.values.div(temperature).softmax(-1);
  if (options.topP !== undefined && options.topP < 1) {
    // The smallest prefix whose probability reaches topP.
    const cumulative = T.cumsum(probs);
    const keep = cumulative.lt(options.topP).sum().item() + 1;
    probs = probs.narrow(0, 0, Math.min(keep, probs.size));
  }
  const choice = T.multinomial(probs, rng);
  return candidates.indices ? candidates.indices.data[choice] : choice;
}

// Generates up to maxNewTokens after the prompt ids; returns the new ids.
export function generate(model: CausalLM, promptIds: readonly number[], options: GenerateOptions): number[] {
  const out: number[] = [];
  for (const next of generateTokens(model, promptIds, options)) {
    out.push(next);
    options.onToken?.(next);
  }
  return out;
}

// The same generation one token at a time, for a caller that interleaves it with other work (the
// server yields to its event loop between tokens, so that streams flow and disconnects are seen).
// Stopping early (break, return()) restores the model's training mode.
export function* generateTokens(
  model: CausalLM,
  promptIds: readonly number[],
  options: Omit<GenerateOptions, 'onToken'>,
): Generator<number, void, undefined> {
  if (promptIds.length === 0) throw new Error('generate: the prompt must contain at least one token');
  const contextSize = Math.min(options.contextSize ?? model.config.contextLength, model.config.contextLength);
  const rng = new Rng(options.seed ?? 0);
  const useCache = options.kvCache ?? true;
  const seq = [...promptIds];
  const wasTraining = model.training;
  model.eval();
  // GPT-2's decoder (weights read once per token) wherever it runs the model; the module path with a
  // KV cache otherwise (another family, a model with LoRA adapters), or without one when asked.
  const decoder =
    useCache && model instanceof GPTModel && decoderSupports(model)
      ? new Decoder(model, { dtype: options.dtype })
      : null;
  const cache = useCache && !decoder ? model.newCache(1) : null;
  const cached = decoder ?? cache;
  try {
    for (let step = 0; step < options.maxNewTokens; step++) {
      const next = noGrad(() => {
        let input: number[];
        if (cached && cached.length > 0 && cached.length < contextSize) {
          input = seq.slice(-1);
        } else {
          // No cache yet, no cache at all, or the window has slid past the context: start afresh on
          // the last contextSize tokens, exactly as recomputation crops them.
          cached?.reset();
          input = seq.slice(-contextSize);
        }
        const V = model.config.vocabSize;
        const logits = decoder
          ? new Tensor(decoder.step(input), [V])
          : model
              .forward(new Tensor(Int32Array.from(input), [1, input.length]), {
                cache: cache ?? undefined,
                lastOnly: true,
              })
              .reshape([V]); // (1, 1, V) -> (V)
        if (options.onLogits) options.onLogits(logits.f32());
        return sampleNext(logits, options, rng);
      });
      seq.push(next);
      yield next;
      if (next === options.eosId || options.eosIds?.includes(next)) break;
    }
  } finally {
    model.train(wasTraining);
  }
}

// What of the prompt the model saw: generation keeps the last contextLength tokens (and slides the
// window on as it generates), so a longer prompt loses its beginning.
export interface PromptWindow {
  tokens: number;
  contextLength: number;
  cropped: boolean;
  droppedTokens: number;
  warning?: string;
}

export function promptWindow(tokens: number, contextLength: number): PromptWindow {
  const droppedTokens = Math.max(0, tokens - contextLength);
  const window: PromptWindow = { tokens, contextLength, cropped: droppedTokens > 0, droppedTokens };
  if (droppedTokens > 0)
    window.warning =
      `the prompt has ${tokens} tokens, more than the model's context of ${contextLength}: ` +
      `its first ${droppedTokens} were cropped`;
  return window;
}
