// Generation speed: random-weight gpt2-small, a 4-token prompt, 100 new greedy tokens, with and
// without the KV cache, side by side with the book's model in PyTorch (bench/gpt_torch.py) on the
// same threads; our KV-cache rate with bf16 weights too, judged against the read bandwidth measured
// in the same run; and the prefill of a 256-token prompt by the decoder and by the module path it
// replaced. Usage: npm run bench:generate [-- --threads N --tokens N]
import { join } from 'node:path';
import { kernels } from '../src/backend/index.js';
import { loadNative } from '../src/backend/native.js';
import { bestReadBandwidth, measureReadBandwidth } from '../src/llm/bench-generate.js';
import { Decoder, keepWeightsInBf16 } from '../src/llm/decoder.js';
import { generate } from '../src/llm/generate.js';
import { GPTModel, presetConfig } from '../src/llm/gpt.js';
import { noGrad, Rng, Tensor } from '../src/tensor/index.js';
import { hasTorch, median, runPeer, threadsArg } from './lib/peer.js';

const threads = threadsArg();
const tokensArg = process.argv.indexOf('--tokens');
const tokens = tokensArg >= 0 ? Number(process.argv[tokensArg + 1]) : 100;
const repeats = 3;
loadNative()?.setThreads(threads);

const model = new GPTModel({ ...presetConfig('gpt2-small'), dropRate: 0 }, { rng: new Rng(123) }).eval();
const prompt = [15496, 11, 314, 716];
const ours: Record<string, number> = {};
// Probed before the timed runs and again after them; the limit is the better of the two.
const probeBefore = measureReadBandwidth();
for (const kvCache of [true, false]) {
  generate(model, prompt, { maxNewTokens: 5, kvCache });
  const rates: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    generate(model, prompt, { maxNewTokens: tokens, kvCache });
    rates.push(tokens / ((performance.now() - t0) / 1000));
  }
  ours[String(kvCache)] = median(rates);
}

// bf16 weights: a second copy of the model, kept in bf16 only.
const bf16Model = new GPTModel({ ...presetConfig('gpt2-small'), dropRate: 0 }, { rng: new Rng(123) }).eval();
keepWeightsInBf16(bf16Model);
generate(bf16Model, prompt, { maxNewTokens: 5 });
const bf16Rates: number[] = [];
for (let r = 0; r < repeats; r++) {
  const t0 = performance.now();
  generate(bf16Model, prompt, { maxNewTokens: tokens });
  bf16Rates.push(tokens / ((performance.now() - t0) / 1000));
}
ours.bf16 = median(bf16Rates);

// Prefill of 256 tokens: the decoder (GEMM for the projections, attendCached) against the module
// forward with a KV cache that generation used before it.
const long = Array.from({ length: 256 }, (_, i) => (i * 7919 + 13) % 50257);
const prefill = { decoder: [] as number[], module: [] as number[] };
const decoder = new Decoder(model);
for (let r = 0; r <= repeats; r++) {
  let t0 = performance.now();
  decoder.reset();
  decoder.step(long);
  const d = 256 / ((performance.now() - t0) / 1000);
  t0 = performance.now();
  noGrad(() =>
    model.forward(new Tensor(Int32Array.from(long), [1, 256]), { cache: model.newCache(1), lastOnly: true }),
  );
  const m = 256 / ((performance.now() - t0) / 1000);
  if (r > 0) {
    prefill.decoder.push(d);
    prefill.module.push(m);
  }
}
const bandwidth = bestReadBandwidth(probeBefore, measureReadBandwidth());
const f32Bytes = decoder.weightBytesPerToken;
const bf16Bytes = new Decoder(bf16Model).weightBytesPerToken;

let peer: Record<string, number> = {};
if (hasTorch()) {
  const rows = runPeer(
    join(import.meta.dirname, 'gpt_torch.py'),
    ['generate', '--threads', String(threads), '--tokens', String(tokens)],
    threads,
  );
  peer = Object.fromEntries(rows.map((r) => [String(r.kvCache), r.tokensPerSecond as number]));
} else {
  console.log(
    'PyTorch not found at /usr/bin/python3 (apt-get install python3-torch libopenblas0-openmp): ours only',
  );
}

console.log(`gpt2-small, ${tokens} greedy tokens, ${threads} threads, backend ${kernels().name}`);
console.log('mode            ours tok/s   pytorch tok/s   ratio');
for (const kvCache of [true, false]) {
  const p = peer[String(kvCache)];
  const o = ours[String(kvCache)];
  const label = kvCache ? 'KV cache' : 'no cache';
  console.log(
    `${label.padEnd(16)}${o.toFixed(1).padStart(10)}${(p ? p.toFixed(1) : '-').padStart(16)}${(p ? (o / p).toFixed(2) + 'x' : '-').padStart(8)}`,
  );
}
const pCache = peer.true;
console.log(
  `${'KV cache bf16'.padEnd(16)}${ours.bf16.toFixed(1).padStart(10)}${'-'.padStart(16)}${(pCache ? (ours.bf16 / pCache).toFixed(2) + 'x' : '-').padStart(8)}   (${(ours.bf16 / ours.true).toFixed(2)}x our f32)`,
);
const gb = (x: number | null) => (x === null ? '-' : (x / 1e9).toFixed(1));
console.log(
  `read bandwidth ${gb(bandwidth.best)} GB/s (${threads} threads, native probe: ${gb(bandwidth.smallPages)} on 4 KiB pages, ${gb(bandwidth.hugePages)} on 2 MiB pages; weights on 2 MiB pages: ${(100 * decoder.hugePages).toFixed(0)}%)`,
);
for (const [label, rate, bytes] of [
  ['f32', ours.true, f32Bytes],
  ['bf16', ours.bf16, bf16Bytes],
] as const) {
  const limit = bandwidth.best / bytes;
  console.log(
    `  ${label}: ${(bytes / 1e6).toFixed(1)} MB/token, limit ${limit.toFixed(1)} tok/s, reached ${((100 * rate) / limit).toFixed(0)}%`,
  );
}
console.log(
  `prefill 256 tokens: decoder ${median(prefill.decoder).toFixed(1)} tok/s, module path ${median(prefill.module).toFixed(1)} tok/s (${(median(prefill.decoder) / median(prefill.module)).toFixed(2)}x)`,
);
