// The inference path of the GPT model (chapter 4's forward, the bonus KV cache), written for speed:
// decoding one token is a matrix-vector product per weight matrix, so its cost is reading every
// weight once. Products with a few rows go to the gemv kernel (the matrix streamed in its stored
// layout, bias, GELU and the shortcut add fused), a whole block in one decodeBlock call; longer
// prompts keep the GEMM; attention over the cache is one attendCached per layer and sequence.
// Every buffer is allocated when the decoder is made (or
// when a longer prompt first arrives), none per token. No autograd, no dropout: inference only.
// Shapes: T tokens, C embedding size, V vocabulary, nh heads, hs head size.
import { kernels } from '../backend/index.js';
import type { DecodeBlockParams, DecodeStepParams, F32, Weight } from '../backend/kernels.js';
import { composeDecodeBlock } from '../backend/decode-block.js';
import { adviseHugePages, bf16Arena } from '../backend/huge-pages.js';
import { toBf16, widenBf16 } from '../backend/bf16.js';
import { type Embedding, GELU, Linear } from '../nn/index.js';
import { bf16Bits, keepInBf16 } from '../tensor/bf16-weights.js';
import { GEMV_MAX_ROWS } from '../tensor/ops/linear.js';
import type { GPTModel } from './gpt.js';
import type { KVCache } from './kv-cache.js';

export type WeightDType = 'f32' | 'bf16';
export const WEIGHT_DTYPES: readonly WeightDType[] = ['f32', 'bf16'];

// bf16 copies of float32 weights, made once per weight array (a tied output head converts once
// with the token embedding). A copy is a snapshot: a model that trains further decodes in f32.
const bf16Copies = new WeakMap<Float32Array, Uint16Array>();
function bf16Of(x: Float32Array): Uint16Array {
  let copy = bf16Copies.get(x);
  if (!copy) {
    copy = toBf16(x);
    bf16Copies.set(x, copy);
  }
  return copy;
}

// The matrices the decoder streams, in the order it reads them.
function streamedLinears(model: GPTModel): Linear[] {
  const blocks = [...model.trf_blocks].flatMap((b) => [
    b.att.W_query,
    b.att.W_key,
    b.att.W_value,
    b.att.out_proj,
    b.ff.layers[0],
    b.ff.layers[2],
  ]);
  return [...blocks, model.out_head] as Linear[];
}

// Makes a model decode-only with bf16 weights: every matrix the decoder streams, and the token
// embedding, is kept as bf16 and its float32 array is released, so the model holds about half the
// bytes (the position embedding, biases and norms stay float32: they are small). The model's own
// forward then refuses to run (GPTModel.decodeOnly); generation with the KV cache runs it in bf16.
export function keepWeightsInBf16(model: GPTModel): void {
  if (model.decodeOnly) return;
  if (!decoderSupports(model))
    throw new Error('keepWeightsInBf16: the model has layers the decoder does not run');
  const owners: (Linear | Embedding)[] = [...streamedLinears(model), model.tok_emb];
  // The copies side by side in one buffer (bf16Arena), in the order the decoder reads them. Every
  // copy is made before any array is released: a tied head shares the embedding's array.
  const arrays = [...new Set(owners.map((o) => o.weight.data as Float32Array))].filter(
    (x) => !bf16Copies.has(x),
  );
  const slices = bf16Arena(arrays.map((x) => x.length));
  arrays.forEach((x, i) => bf16Copies.set(x, toBf16(x, slices[i])));
  const bits = owners.map((o) => bf16Of(o.weight.data as Float32Array));
  owners.forEach((o, i) => bf16Bits(o.weight) ?? keepInBf16(o.weight, bits[i]));
  // The causal masks serve only the module forward (4 MiB per layer at context 1024).
  for (const b of model.trf_blocks) b.att.mask.data = new Float32Array(0);
  model.decodeOnly = true;
}

interface DecodeLinear {
  weight: Weight;
  bias: F32 | null;
  inFeatures: number;
  outFeatures: number;
}

// Rows [row, row + tokens) of a step: tokens of one sequence, at positions from start in its cache.
interface Segment {
  cache: KVCache;
  start: number;
  row: number;
  tokens: number;
}

interface DecodeBlock {
  ln1: { gamma: F32; beta: F32; eps: number };
  query: DecodeLinear;
  key: DecodeLinear;
  value: DecodeLinear;
  proj: DecodeLinear;
  ln2: { gamma: F32; beta: F32; eps: number };
  fc1: DecodeLinear;
  fc2: DecodeLinear;
}

// Whether the decoder can run this model: plain Linear layers everywhere (a LoRA adapter, for one,
// is not folded in here, so such a model keeps the module path) and GELU in the feed-forward.
export function decoderSupports(model: GPTModel): boolean {
  return (
    [...model.trf_blocks].every(
      (b) =>
        [b.att.W_query, b.att.W_key, b.att.W_value, b.att.out_proj, b.ff.layers[0], b.ff.layers[2]].every(
          (l) => l instanceof Linear,
        ) && b.ff.layers[1] instanceof GELU,
    ) && model.out_head instanceof Linear
  );
}

function linear(layer: unknown, dtype: WeightDType): DecodeLinear {
  const l = layer as Linear;
  const [outFeatures, inFeatures] = l.weight.shape;
  const kept = bf16Bits(l.weight);
  return {
    weight:
      kept ?? (dtype === 'bf16' ? bf16Of(l.weight.data as Float32Array) : (l.weight.data as Float32Array)),
    bias: (l.bias?.data as Float32Array | undefined) ?? null,
    inFeatures,
    outFeatures,
  };
}

function norm(n: { scale: { data: unknown }; shift: { data: unknown }; eps: number }) {
  return { gamma: n.scale.data as F32, beta: n.shift.data as F32, eps: n.eps };
}

const weightBytes = (l: DecodeLinear): number => l.weight.byteLength + (l.bias?.byteLength ?? 0);

export class Decoder {
  readonly cache: KVCache;
  readonly dtype: WeightDType;
  // The logits of the last position of the latest step (V); overwritten by the next step.
  readonly logits: Float32Array;
  // The share of the streamed matrices' bytes on 2 MiB pages (adviseHugePages), 0 to 1.
  readonly hugePages: number;
  private batchLogits = new Float32Array(0);
  private readonly blocks: DecodeBlock[];
  // The blocks' layers as the backend read them once (prepareDecodeLayers), for decodeStep.
  private readonly layers: unknown;
  private readonly head: DecodeLinear;
  private readonly finalNorm: { gamma: F32; beta: F32; eps: number };
  private readonly tokEmb: F32;
  private readonly tokEmbBf16: Uint16Array | undefined;
  private readonly posEmb: F32;
  private readonly C: number;
  private readonly V: number;
  private readonly nh: number;
  private capacity = 0;
  private buf!: {
    x: F32;
    ln: F32;
    q: F32;
    k: F32;
    v: F32;
    hidden: F32;
    mean: F32;
    rstd: F32;
    ids: Int32Array;
  };

  constructor(
    readonly model: GPTModel,
    options: { dtype?: WeightDType; batch?: 1 } = {},
  ) {
    if (!decoderSupports(model)) throw new Error('Decoder: the model has layers the decoder does not run');
    this.dtype = options.dtype ?? (model.decodeOnly ? 'bf16' : 'f32');
    if (model.decodeOnly && this.dtype !== 'bf16') {
      throw new Error('Decoder: the model keeps its weights in bf16 only (keepWeightsInBf16)');
    }
    const { embDim, vocabSize, nHeads } = model.config;
    this.C = embDim;
    this.V = vocabSize;
    this.nh = nHeads;
    this.blocks = [...model.trf_blocks].map((b) => ({
      ln1: norm(b.norm1),
      query: linear(b.att.W_query, this.dtype),
      key: linear(b.att.W_key, this.dtype),
      value: linear(b.att.W_value, this.dtype),
      proj: linear(b.att.out_proj, this.dtype),
      ln2: norm(b.norm2),
      fc1: linear(b.ff.layers[0], this.dtype),
      fc2: linear(b.ff.layers[2], this.dtype),
    }));
    this.head = linear(model.out_head, this.dtype);
    this.hugePages = adviseHugePages(
      [...this.blocks.flatMap((b) => [b.query, b.key, b.value, b.proj, b.fc1, b.fc2]), this.head].map(
        (l) => l.weight,
      ),
    );
    const k = kernels();
    this.layers = k.prepareDecodeLayers(
      this.blocks.map((b) => ({ embDim, hidden: b.fc1.outFeatures, ...b })),
    );
    this.finalNorm = norm(model.final_norm);
    this.tokEmb = model.tok_emb.weight.data as F32;
    this.tokEmbBf16 = bf16Bits(model.tok_emb.weight);
    this.posEmb = model.pos_emb.weight.data as F32;
    this.cache = model.newCache(1);
    this.logits = new Float32Array(vocabSize);
    this.reserve(1);
  }

  // Tokens in the cache: the position the next step starts at.
  get length(): number {
    return this.cache.length;
  }

  reset(): void {
    this.cache.reset();
  }

  // Bytes of weights one decoded token reads: every matrix, bias and norm once, plus one row each
  // of the token and position embeddings (the KV cache it also reads grows with the position).
  get weightBytesPerToken(): number {
    const C = this.C;
    const norms = (2 * this.blocks.length + 1) * 2 * C * 4;
    const matrices = this.blocks.reduce(
      (sum, b) =>
        sum + [b.query, b.key, b.value, b.proj, b.fc1, b.fc2].reduce((s, l) => s + weightBytes(l), 0),
      weightBytes(this.head),
    );
    return matrices + norms + C * (this.tokEmbBf16 ? 2 : 4) + C * 4;
  }

  // Runs ids (the tokens after those cached) through the model, appending their keys and values to
  // the cache; returns the logits of the last one (this.logits).
  step(ids: readonly number[]): Float32Array {
    return this.stepSequence(this.cache, ids);
  }

  // A cache for another sequence decoded by this decoder (stepSequence, stepBatch).
  newSequence(): KVCache {
    return this.model.newCache(1);
  }

  // step() on the sequence whose keys and values are in cache.
  stepSequence(cache: KVCache, ids: readonly number[]): Float32Array {
    if (ids.length === 0) throw new Error('Decoder: step needs at least one token');
    this.run([{ cache, start: cache.length, row: 0, tokens: ids.length }], ids, false, this.logits);
    return this.logits;
  }

  // The next tokens of several sequences (ids[i] continues caches[i]: one token, or a few, such as
  // a short prompt joining the batch), decoded together: every weight is read once for all of
  // them. Returns the logits of each sequence's last token (B, V), in a buffer the next call
  // overwrites. Each sequence gets the logits it would get alone (gemv sums a row in one order
  // whatever rows are beside it; attention is per sequence), except a prompt that alone would take
  // the GEMM (prefillsByGemv says which do not).
  stepBatch(caches: readonly KVCache[], ids: readonly (number | readonly number[])[]): Float32Array {
    const B = ids.length;
    if (B === 0 || caches.length !== B) throw new Error('Decoder: stepBatch needs the tokens of every cache');
    if (new Set(caches).size !== B) throw new Error('Decoder: stepBatch got the same cache twice');
    const tokens = ids.map((t) => (typeof t === 'number' ? [t] : t));
    if (tokens.some((t) => t.length === 0)) throw new Error('Decoder: step needs at least one token');
    if (this.batchLogits.length < B * this.V) this.batchLogits = new Float32Array(B * this.V);
    const logits = this.batchLogits.subarray(0, B * this.V);
    let row = 0;
    const segments = caches.map((cache, i) => {
      const segment = { cache, start: cache.length, row, tokens: tokens[i].length };
      row += tokens[i].length;
      return segment;
    });
    this.run(segments, tokens.flat(), true, logits);
    return logits;
  }

  // Whether a prompt of this many tokens is prefilled by gemv (rather than the GEMM), so that it
  // gets the same logits prefilled alone (stepSequence) or in a batch (stepBatch).
  prefillsByGemv(tokens: number): boolean {
    return this.byGemv(tokens, false);
  }

  // Whether the model reads this token id (an integer inside its vocabulary).
  knows(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.V;
  }

  // Products of `rows` rows take gemv: a batch of sequences always (gemvOnly: per-row results
  // independent of it) and a few rows; else the GEMM (which widens bf16 weights as it packs them).
  private byGemv(rows: number, gemvOnly: boolean): boolean {
    return gemvOnly || rows <= GEMV_MAX_ROWS;
  }

  private run(segments: Segment[], ids: readonly number[], gemvOnly: boolean, logits: F32): void {
    const rows = ids.length;
    for (const seg of segments) {
      if (seg.start + seg.tokens > seg.cache.maxLength) {
        throw new Error(
          `Decoder: ${seg.start + seg.tokens} tokens exceed the context length ${seg.cache.maxLength}`,
        );
      }
    }
    this.reserve(rows);
    const k = kernels();
    const { C, V } = this;
    const b = this.buf;
    const ids32 = b.ids.subarray(0, rows);
    for (let i = 0; i < rows; i++) {
      if (!this.knows(ids[i])) {
        throw new Error(`Decoder: token id ${ids[i]} is outside the vocabulary of ${V}`);
      }
      ids32[i] = ids[i];
    }
    const x = b.x.subarray(0, rows * C); // (rows, C)
    if (this.tokEmbBf16) {
      for (let i = 0; i < rows; i++)
        widenBf16(this.tokEmbBf16.subarray(ids[i] * C, (ids[i] + 1) * C), x.subarray(i * C, (i + 1) * C));
    } else {
      k.indexSelect(this.tokEmb, 1, V, C, ids32, x);
    }
    for (const { start, row, tokens } of segments) {
      const xs = x.subarray(row * C, (row + tokens) * C);
      k.binary('add', xs, [C, 1], this.posEmb.subarray(start * C, (start + tokens) * C), [C, 1], xs, [
        tokens,
        C,
      ]);
    }
    if (this.byGemv(rows, gemvOnly)) {
      k.decodeStep({
        x,
        rows,
        heads: this.nh,
        layers: this.layers,
        ...this.scratch(),
        segments: segments.map(({ cache, start, row, tokens }) => ({
          layers: cache.layers,
          start,
          row,
          tokens,
        })),
      });
    } else {
      this.blocks.forEach((block, l) => this.prefillBlock(block, l, segments, x, rows));
    }
    for (const seg of segments) for (const layer of seg.cache.layers) layer.length = seg.start + seg.tokens;
    // Only the last position of each sequence: all that generation needs.
    const ln = b.ln.subarray(0, segments.length * C);
    const fn = this.finalNorm;
    segments.forEach(({ row, tokens }, i) => {
      const last = x.subarray((row + tokens - 1) * C, (row + tokens) * C);
      k.layerNorm(last, fn.gamma, fn.beta, 1, C, fn.eps, ln.subarray(i * C, (i + 1) * C), b.mean, b.rstd);
    });
    this.linear(this.head, ln, segments.length, logits, null, false, gemvOnly);
  }

  // The blocks' scratch buffers, as decodeBlock and decodeStep take them.
  private scratch(): Pick<DecodeStepParams, 'ln' | 'q' | 'k' | 'v' | 'h' | 'mean' | 'rstd'> {
    const { ln, q, k, v, hidden: h, mean, rstd } = this.buf;
    return { ln, q, k, v, h, mean, rstd };
  }

  // A block of a long prompt: its products by the GEMM.
  private prefillBlock(p: DecodeBlock, l: number, segments: Segment[], x: F32, rows: number): void {
    const params: DecodeBlockParams = {
      x,
      rows,
      embDim: this.C,
      heads: this.nh,
      hidden: p.fc1.outFeatures,
      ...p,
      ...this.scratch(),
      segments: segments.map(({ cache, start, row, tokens }) => {
        const { keys, values, capacity } = cache.layers[l];
        return { keys, values, capacity, start, row, tokens };
      }),
    };
    composeDecodeBlock(kernels(), params, (layer, xs, r, _k, _n, out, residual, gelu) =>
      this.linear(layer as DecodeLinear, xs, r, out, residual, gelu, false),
    );
  }

  // out (rows, n) = act(x W^T + bias) + residual.
  private linear(
    l: DecodeLinear,
    x: F32,
    rows: number,
    out: F32,
    residual: F32 | null,
    gelu: boolean,
    gemvOnly: boolean,
  ): void {
    const k = kernels();
    const { inFeatures: kk, outFeatures: n } = l;
    if (this.byGemv(rows, gemvOnly)) {
      k.gemv({ x, rows, k: kk, n, weight: l.weight, bias: l.bias, gelu, residual, out });
      return;
    }
    // Prefill: one GEMM whose epilogue adds the bias, applies GELU and adds the shortcut. The
    // epilogue's residual must not be its output: the in-place shortcut (x += proj(...), never
    // with GELU) accumulates into x instead.
    const inPlace = residual === out && !gelu;
    k.matmul({
      a: x,
      b: l.weight,
      c: out.subarray(0, rows * n),
      batch: 1,
      m: rows,
      k: kk,
      n,
      transA: false,
      transB: true,
      strideA: 0,
      strideB: 0,
      strideC: 0,
      accumulate: inPlace,
      bias: l.bias,
      gelu,
      residual: inPlace ? null : residual,
    });
  }

  // Grows the activation buffers to hold `rows` tokens (a longer prompt than any before).
  private reserve(rows: number): void {
    if (rows <= this.capacity) return;
    const C = this.C;
    this.capacity = Math.max(rows, GEMV_MAX_ROWS);
    const n = this.capacity;
    this.buf = {
      x: new Float32Array(n * C),
      ln: new Float32Array(n * C),
      q: new Float32Array(n * C),
      k: new Float32Array(n * C),
      v: new Float32Array(n * C),
      hidden: new Float32Array(n * 4 * C),
      mean: new Float32Array(n),
      rstd: new Float32Array(n),
      ids: new Int32Array(n),
    };
  }
}
