// Several sequences of a Llama 3, Qwen3 or Gemma 3 model decoded together, for serve's batcher: the
// counterpart of GPT-2's Decoder (decoder.ts) for the families, through their modules. A prompt is
// prefilled alone (forward with the sequence's cache); then each step takes the next token of
// every sequence as one row of ids (B, 1) with forward's `rows`, so that every weight is read once
// for the whole batch, and each row gets the logits its sequence gets decoding alone.
import { noGrad, Tensor } from '../../tensor/index.js';
import { GEMV_MAX_ROWS } from '../../tensor/ops/linear.js';
import type { KVCache } from '../kv-cache.js';
import type { CausalLM } from './family.js';

export class FamilyDecoder {
  readonly cache: KVCache;
  private readonly V: number;
  private batchLogits = new Float32Array(0);

  constructor(readonly model: CausalLM) {
    this.V = model.config.vocabSize;
    this.cache = model.newCache(1);
  }

  newSequence(): KVCache {
    return this.model.newCache(1);
  }

  knows(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.V;
  }

  // Prompts are prefilled alone (stepSequence), never in a batch step.
  prefillsByGemv(): boolean {
    return false;
  }

  // The logits (V) of the last of ids, which continue the sequence in cache.
  stepSequence(cache: KVCache, ids: readonly number[]): Float32Array {
    if (ids.length === 0) throw new Error('FamilyDecoder: step needs at least one token');
    const logits = noGrad(() =>
      this.model.forward(new Tensor(Int32Array.from(ids), [1, ids.length]), { cache, lastOnly: true }),
    );
    return logits.f32('FamilyDecoder').slice(-this.V);
  }

  // The next token of each sequence (ids[i] continues caches[i]), decoded together; the logits of
  // each (B, V), in a buffer the next call overwrites. More than GEMV_MAX_ROWS sequences go in
  // groups of that many, whose products still take the matrix-vector kernel (a row's bits then do
  // not depend on the rows beside it; the GEMM's would).
  stepBatch(caches: readonly KVCache[], ids: readonly (number | readonly number[])[]): Float32Array {
    const B = ids.length;
    if (B === 0 || caches.length !== B)
      throw new Error('FamilyDecoder: stepBatch needs the tokens of every cache');
    const tokens = ids.map((t) => {
      if (typeof t === 'number') return t;
      if (t.length !== 1) throw new Error('FamilyDecoder: stepBatch takes one token a sequence');
      return t[0];
    });
    if (this.batchLogits.length < B * this.V) this.batchLogits = new Float32Array(B * this.V);
    for (let b0 = 0; b0 < B; b0 += GEMV_MAX_ROWS) {
      const n = Math.min(GEMV_MAX_ROWS, B - b0);
      const logits = noGrad(() =>
        this.model.forward(new Tensor(Int32Array.from(tokens.slice(b0, b0 + n)), [n, 1]), {
          rows: caches.slice(b0, b0 + n),
        }),
      );
      this.batchLogits.set(logits.f32('FamilyDecoder'), b0 * this.V);
    }
    return this.batchLogits.subarray(0, B * this.V);
  }
}
