// Continuous batching (issue 22): the sequences that generate on one model are decoded together,
// one token each per step, so that a step reads the weights once for all of them
// (Decoder.stepBatch for GPT-2, FamilyDecoder for Llama 3, Qwen3 and Gemma 3, whose prompts are
// all prefilled alone) instead of once per sequence. A short prompt (one the decoder prefills by
// gemv) joins the next step with all its tokens; a longer one is prefilled alone (stepSequence, the
// GEMM path), so that it gets the bits it gets alone; from then on its sequence is one row of the batch; it
// leaves when it ends (its end token, its token budget) or when its client disconnects. Each
// sequence samples from its own row with its own settings and seeded Rng, as generateTokens does
// for it alone, and the decoder gives each row the logits that sequence gets alone, so a request
// gets the tokens it gets when served alone. Between steps the loop yields a turn of the event
// loop: streamed tokens reach their sockets, disconnects are seen, new requests join.
// How many sequences may be in the batch is the model's queue's business (queue.ts: a slot each).
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Decoder } from '../llm/decoder.js';
import type { CausalLM } from '../llm/families/family.js';
import { FamilyDecoder } from '../llm/families/family-decoder.js';
import { sampleNext } from '../llm/generate.js';
import { GPTModel } from '../llm/gpt.js';
import type { KVCache } from '../llm/kv-cache.js';
import { noGrad, Rng, Tensor } from '../tensor/index.js';

export interface SequenceOptions {
  maxNewTokens: number;
  // 0 (the default) is greedy; topK and topP as in generate.ts's sampleNext.
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
  // Generation stops after any of these tokens (it is included in the ids).
  eosIds?: readonly number[];
  // The client left: the sequence leaves the batch before the next step.
  signal?: AbortSignal;
  // Each new token as soon as it is chosen, and before it the logits (V) it is chosen from.
  onToken?: (id: number) => void;
  onLogits?: (logits: Float32Array) => void;
}

// 'stop': the end token came; 'length': maxNewTokens reached; 'aborted': the client left.
export type FinishReason = 'stop' | 'length' | 'aborted';

export interface SequenceResult {
  ids: number[];
  finishReason: FinishReason;
}

interface Sequence {
  readonly options: SequenceOptions;
  readonly rng: Rng;
  // The prompt and the tokens so far: a sequence past the context is prefilled again from its
  // last contextLength tokens, as generateTokens crops them.
  readonly tokens: number[];
  readonly ids: number[];
  readonly cache: KVCache;
  finished: boolean;
  readonly resolve: (result: SequenceResult) => void;
  readonly reject: (err: unknown) => void;
}

// What a batch step runs on: GPT-2's Decoder, or FamilyDecoder for Llama 3, Qwen3 and Gemma 3.
export interface BatchDecoder {
  readonly cache: KVCache;
  newSequence(): KVCache;
  knows(id: number): boolean;
  prefillsByGemv(tokens: number): boolean;
  stepSequence(cache: KVCache, ids: readonly number[]): Float32Array;
  stepBatch(caches: readonly KVCache[], ids: readonly (number | readonly number[])[]): Float32Array;
}

export class Batcher {
  private readonly decoder: BatchDecoder;
  private readonly contextLength: number;
  private readonly vocabSize: number;
  private readonly sequences: Sequence[] = [];
  // Caches of finished sequences, reused by the next ones (a cache is the context's worth of keys
  // and values of every layer: tens of MB for gpt2-small, not to be allocated per request).
  private readonly freeCaches: KVCache[];
  // Reused from step to step: no allocation per token here.
  private readonly toPrefill: Sequence[] = [];
  private readonly rows: Sequence[] = [];
  private readonly rowCaches: KVCache[] = [];
  private readonly rowIds: (number | number[])[] = [];
  private looping = false;
  // Batched decode steps so far, prefills so far, and the most sequences one step decoded: what
  // /healthz reports and the tests observe.
  steps = 0;
  prefills = 0;
  peakBatch = 0;

  // model: a served model in eval mode: a GPT-2 model whose layers the decoder runs
  // (decoderSupports), with the weights it decodes with (bf16 when keepWeightsInBf16 made it so), or
  // a Llama 3, Qwen3 or Gemma 3 model.
  constructor(readonly model: CausalLM) {
    this.decoder = model instanceof GPTModel ? new Decoder(model) : new FamilyDecoder(model);
    this.contextLength = model.config.contextLength;
    this.vocabSize = model.config.vocabSize;
    this.freeCaches = [this.decoder.cache];
  }

  // Sequences generating now: in the batch, or about to be prefilled and join it.
  get active(): number {
    return this.sequences.length;
  }

  // Generates up to maxNewTokens after promptIds; resolves when the sequence ends or its client
  // leaves (finishReason 'aborted', with the tokens made until then); rejects if decoding fails.
  generate(promptIds: readonly number[], options: SequenceOptions): Promise<SequenceResult> {
    if (promptIds.length === 0)
      return Promise.reject(new Error('generate: the prompt must contain at least one token'));
    if (options.maxNewTokens <= 0) return Promise.resolve({ ids: [], finishReason: 'length' });
    return new Promise((resolve, reject) => {
      const cache = this.freeCaches.pop() ?? this.decoder.newSequence();
      cache.reset();
      this.sequences.push({
        options,
        rng: new Rng(options.seed ?? 0),
        tokens: [...promptIds],
        ids: [],
        cache,
        finished: false,
        resolve,
        reject,
      });
      if (!this.looping) void this.loop();
    });
  }

  private async loop(): Promise<void> {
    this.looping = true;
    try {
      while (this.sequences.length > 0) {
        // First a turn of the event loop: the tokens of the last step reach their sockets, and
        // requests that arrive together are prefilled in the same step.
        await nextTurn();
        try {
          this.step();
        } catch (err) {
          // A fault of the scheduler itself: no sequence is left waiting for a step that never comes.
          for (const s of this.sequences) this.fail(s, err);
          this.sequences.length = 0;
        }
      }
    } finally {
      this.looping = false;
    }
  }

  // One step: the clients that left leave, new sequences with long prompts (and those past the
  // context) are prefilled alone, and the others (short prompts with all their tokens, the rest
  // with their last one) are decoded together in one pass over the weights.
  private step(): void {
    const { toPrefill, rows, rowCaches, rowIds } = this;
    toPrefill.length = rows.length = rowCaches.length = rowIds.length = 0;
    for (const s of this.sequences) {
      if (s.options.signal?.aborted) {
        this.finish(s, 'aborted');
      } else if (s.cache.length > 0 && s.cache.length < this.contextLength) {
        rows.push(s);
        rowCaches.push(s.cache);
        rowIds.push(s.tokens[s.tokens.length - 1]);
      } else {
        const prompt = s.tokens.slice(-this.contextLength);
        // A short prompt joins this step's batch (one pass over the weights saved); one the model
        // cannot read is prefilled alone, so that its error fails it alone.
        if (prompt.every((id) => this.decoder.knows(id)) && this.decoder.prefillsByGemv(prompt.length)) {
          s.cache.reset();
          rows.push(s);
          rowCaches.push(s.cache);
          rowIds.push(prompt);
          this.prefills++;
        } else toPrefill.push(s);
      }
    }
    for (const s of toPrefill) {
      try {
        s.cache.reset();
        const logits = this.decoder.stepSequence(s.cache, s.tokens.slice(-this.contextLength));
        this.prefills++;
        this.take(s, this.sample(s, logits));
      } catch (err) {
        this.fail(s, err);
      }
    }
    if (rows.length > 0) {
      const V = this.vocabSize;
      let logits: Float32Array | null = null;
      try {
        logits = this.decoder.stepBatch(rowCaches, rowIds); // (B, V)
        this.steps++;
        this.peakBatch = Math.max(this.peakBatch, rows.length);
      } catch (err) {
        for (const s of rows) this.fail(s, err);
      }
      if (logits) {
        for (let i = 0; i < rows.length; i++) {
          try {
            this.take(rows[i], this.sample(rows[i], logits.subarray(i * V, (i + 1) * V)));
          } catch (err) {
            this.fail(rows[i], err);
          }
        }
      }
    }
    let kept = 0;
    for (const s of this.sequences) if (!s.finished) this.sequences[kept++] = s;
    this.sequences.length = kept;
  }

  private sample(s: Sequence, logits: Float32Array): number {
    s.options.onLogits?.(logits);
    return noGrad(() => sampleNext(new Tensor(logits, [this.vocabSize]), s.options, s.rng));
  }

  private take(s: Sequence, id: number): void {
    s.tokens.push(id);
    s.ids.push(id);
    s.options.onToken?.(id);
    if (s.options.eosIds?.includes(id)) this.finish(s, 'stop');
    else if (s.ids.length >= s.options.maxNewTokens) this.finish(s, 'length');
  }

  private finish(s: Sequence, finishReason: FinishReason): void {
    this.release(s);
    s.resolve({ ids: s.ids, finishReason });
  }

  private fail(s: Sequence, err: unknown): void {
    if (s.finished) return;
    this.release(s);
    s.reject(err);
  }

  private release(s: Sequence): void {
    s.finished = true;
    this.freeCaches.push(s.cache);
  }
}
