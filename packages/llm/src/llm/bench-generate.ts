// Decoding speed against the machine's own limit, for `llm-scratch bench generate`: decoding one
// token reads every weight once, so its ceiling is the read bandwidth over the weight bytes per
// token. Each run prefills a prompt (the GEMM path), then decodes greedy tokens with the KV cache
// (GPT-2 through its Decoder: gemv and attendCached; another family through its modules and its
// cache); the bandwidth is measured in the same process, on the same threads, just before and just
// after each run.
import { adviseHugePages } from '../backend/huge-pages.js';
import { kernels, nativeInUse } from '../backend/index.js';
import { loadNative } from '../backend/native.js';
import { bf16Bits } from '../tensor/bf16-weights.js';
import { noGrad, sizeOf, Tensor } from '../tensor/index.js';
import { Decoder, type WeightDType } from './decoder.js';
import type { CausalLM } from './families/family.js';
import { keepMatricesInBf16 } from './families/load.js';
import { GPTModel } from './gpt.js';
import type { KVCache } from './kv-cache.js';
import { collectGarbage } from './weight-dtype.js';

export interface GenerateBenchOptions {
  dtype: WeightDType;
  // Tokens decoded after the prompt, and the prompt's length.
  tokens: number;
  promptTokens: number;
  runs: number;
}

export interface GenerateBenchRun {
  kernel: 'generate';
  run: number;
  dtype: WeightDType;
  threads: number;
  isa: string;
  promptTokens: number;
  tokens: number;
  // Decode (one token at a time, KV cache) and prefill (the prompt at once) rates.
  tokensPerSec: number;
  prefillTokensPerSec: number;
  weightBytesPerToken: number;
  // Bytes per second read by the probe (the better of its 4 KiB- and 2 MiB-page buffers), the
  // decode rate that bandwidth allows, and our share of it.
  readBandwidth: number;
  readBandwidthSmallPages: number;
  readBandwidthHugePages: number | null;
  // The share of the weights' bytes on 2 MiB pages (Decoder.hugePages).
  hugePageWeights: number;
  limitTokensPerSec: number;
  bandwidthFraction: number;
  // Resident memory of the process after the run, in bytes.
  rss: number;
}

// 512 MiB: many times any L3 here (32 MiB per CCD on EPYC), so the probe reads memory, not cache.
const PROBE_MEGABYTES = 512;

export interface ReadBandwidth {
  // The better of the two: the limit decoding is judged against.
  best: number;
  // Bytes per second over a buffer on 4 KiB pages, and on 2 MiB pages (native only).
  smallPages: number;
  hugePages: number | null;
}

// The read bandwidth in bytes per second: the native probe on the kernels' threads, over a buffer
// on 4 KiB pages and again on 2 MiB pages (the decoder asks for those under its weights, so the
// limit must be the best the machine does too), or one JavaScript thread summing a large array
// when the TypeScript backend runs (its decode is one thread too).
export function measureReadBandwidth(): ReadBandwidth {
  const native = nativeInUse();
  if (native) {
    const smallPages = native.readBandwidth(PROBE_MEGABYTES, 5, false);
    const hugePages = native.readBandwidth(PROBE_MEGABYTES, 5, true);
    return { best: Math.max(smallPages, hugePages), smallPages, hugePages };
  }
  const x = new Float64Array((PROBE_MEGABYTES * 1024 * 1024) / 8).fill(1);
  let best = 0;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i];
    const seconds = (performance.now() - t0) / 1000;
    if (s !== x.length) throw new Error('read-bandwidth probe: wrong sum');
    best = Math.max(best, x.byteLength / seconds);
  }
  return { best, smallPages: best, hugePages: null };
}

// The better of several probes, page size by page size: the bandwidth the machine gave at its best
// around a run (on a shared machine it moves by the minute, and a limit probed at a slow moment
// would flatter the run).
export function bestReadBandwidth(...probes: ReadBandwidth[]): ReadBandwidth {
  const smallPages = Math.max(...probes.map((p) => p.smallPages));
  const huge = probes.map((p) => p.hugePages).filter((h): h is number => h !== null);
  const hugePages = huge.length > 0 ? Math.max(...huge) : null;
  return { best: Math.max(smallPages, hugePages ?? 0), smallPages, hugePages };
}

// A prompt of ordinary ids, spread over the vocabulary (the speed does not depend on which).
function promptIds(n: number, vocab: number): number[] {
  return Array.from({ length: n }, (_, i) => (i * 7919 + 13) % vocab);
}

// What a run steps through: GPT-2's Decoder, or StepModule for another family.
interface Stepper {
  readonly weightBytesPerToken: number;
  readonly hugePages: number;
  reset(): void;
  // The logits (V) of the last of these tokens, after the ones before.
  step(ids: readonly number[]): Float32Array;
}

// The token embedding of a model whose output head is not that embedding (a token reads one row of
// it); null when the head is the embedding, or there is none.
function lookupTable(model: CausalLM): Tensor | null {
  const { tok_emb: emb, out_head: head } = model as {
    tok_emb?: { weight: Tensor };
    out_head?: { weight: Tensor };
  };
  return emb && emb.weight !== head?.weight ? emb.weight : null;
}

// The weight bytes a decode step of a family's modules reads: every parameter once (bf16 matrices
// at 2 bytes a value), but a lookup-only embedding table: the one row a token reads.
export function moduleWeightBytesPerToken(model: CausalLM): number {
  const bytes = (t: Tensor) => sizeOf(t.shape) * (bf16Bits(t) ? 2 : 4);
  const table = lookupTable(model);
  return model.parameters().reduce((sum, p) => sum + (p === table ? bytes(p) / p.shape[0] : bytes(p)), 0);
}

// A family's own forward with its KV cache, one step at a time (what generate does for it).
class StepModule implements Stepper {
  readonly weightBytesPerToken: number;
  readonly hugePages: number;
  private readonly cache: KVCache;

  constructor(private readonly model: CausalLM) {
    this.cache = model.newCache(1);
    this.weightBytesPerToken = moduleWeightBytesPerToken(model);
    const table = lookupTable(model);
    const matrices = model.parameters().filter((p) => p.ndim === 2 && p !== table);
    this.hugePages = adviseHugePages(matrices.map((p) => bf16Bits(p) ?? p.f32()));
  }

  reset(): void {
    this.cache.reset();
  }

  step(ids: readonly number[]): Float32Array {
    const input = new Tensor(Int32Array.from(ids), [1, ids.length]);
    return this.model.forward(input, { cache: this.cache, lastOnly: true }).f32();
  }
}

// One timed run: the prompt, then greedy tokens one at a time.
function timeRun(
  decoder: Stepper,
  V: number,
  options: GenerateBenchOptions,
): { prefill: number; decode: number } {
  const argmax = new Int32Array(1);
  decoder.reset();
  return noGrad(() => {
    const t0 = performance.now();
    let logits = decoder.step(promptIds(options.promptTokens, V));
    const t1 = performance.now();
    for (let i = 0; i < options.tokens; i++) {
      kernels().argReduce('argmax', logits, 1, V, 1, argmax);
      logits = decoder.step([argmax[0]]);
    }
    const t2 = performance.now();
    return {
      prefill: options.promptTokens / ((t1 - t0) / 1000),
      decode: options.tokens / ((t2 - t1) / 1000),
    };
  });
}

// Runs the benchmark, calling onRun after each run (a warm-up run is not reported).
export async function benchGenerate(
  model: CausalLM,
  options: GenerateBenchOptions,
  onRun: (r: GenerateBenchRun) => void,
): Promise<void> {
  // bf16 keeps only the bf16 copies, as generate --dtype bf16 does, and the released float32
  // arrays are given the time to leave memory, so that rss compares fairly.
  if (options.dtype === 'bf16') {
    keepMatricesInBf16(model);
    collectGarbage();
    await new Promise((resolve) => setTimeout(resolve, 500));
    loadNative()?.trimMemory();
  }
  const decoder: Stepper =
    model instanceof GPTModel ? new Decoder(model, { dtype: options.dtype }) : new StepModule(model);
  const native = nativeInUse();
  const info = native?.info();
  const bytes = decoder.weightBytesPerToken;
  timeRun(decoder, model.config.vocabSize, { ...options, tokens: Math.min(options.tokens, 4) });
  for (let run = 1; run <= options.runs; run++) {
    // Probed right before and right after each run, and the better taken: on a shared machine the
    // bandwidth left to us changes by the minute, and the run is judged against the best the
    // machine gave around it.
    const before = measureReadBandwidth();
    const { prefill, decode } = timeRun(decoder, model.config.vocabSize, options);
    const bandwidth = bestReadBandwidth(before, measureReadBandwidth());
    const limit = bandwidth.best / bytes;
    onRun({
      kernel: 'generate',
      run,
      dtype: options.dtype,
      threads: info?.threads ?? 1,
      isa: info?.isa ?? 'typescript',
      promptTokens: options.promptTokens,
      tokens: options.tokens,
      tokensPerSec: decode,
      prefillTokensPerSec: prefill,
      weightBytesPerToken: bytes,
      readBandwidth: bandwidth.best,
      readBandwidthSmallPages: bandwidth.smallPages,
      readBandwidthHugePages: bandwidth.hugePages,
      hugePageWeights: decoder.hugePages,
      limitTokensPerSec: limit,
      bandwidthFraction: decode / limit,
      rss: process.memoryUsage.rss(),
    });
  }
}
