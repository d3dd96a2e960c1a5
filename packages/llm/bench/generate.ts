// Generation speed: random-weight gpt2-small, a 4-token prompt, 100 new greedy tokens, with and
// without the KV cache, side by side with the book's model in PyTorch (bench/gpt_torch.py) on the
// same threads (whole generate calls); our KV-cache rate in f32 and with bf16 weights, in
// alternating rounds, its decode steps judged against the read bandwidth probed around them; and
// the prefill of a 256-token prompt by the decoder and by the module path it replaced.
// Usage: npm run bench:generate [-- --threads N --tokens N]
import { join } from 'node:path';
import { kernels } from '../src/backend/index.js';
import { loadNative } from '../src/backend/native.js';
import { bestReadBandwidth, measureReadBandwidth, type ReadBandwidth } from '../src/llm/bench-generate.js';
import { Decoder, keepWeightsInBf16 } from '../src/llm/decoder.js';
import { generate } from '../src/llm/generate.js';
import { GPTModel, presetConfig } from '../src/llm/gpt.js';
import { noGrad, Rng, Tensor } from '../src/tensor/index.js';
import { benchArgs, countArg } from './lib/args.js';
import { hasTorch, median, runPeer } from './lib/peer.js';

const values = benchArgs('bench:generate', 'npm run bench:generate -- [--threads N] [--tokens N]', {
  threads: { type: 'string', default: '2' },
  tokens: { type: 'string', default: '100' },
});
const threads = countArg('bench:generate', 'threads', values.threads);
const tokens = countArg('bench:generate', 'tokens', values.tokens);
const repeats = 3;
const kvRounds = 5;
loadNative()?.setThreads(threads);

const model = new GPTModel({ ...presetConfig('gpt2-small'), dropRate: 0 }, { rng: new Rng(123) }).eval();
// bf16 weights: a second copy of the model, kept in bf16 only.
const bf16Model = new GPTModel({ ...presetConfig('gpt2-small'), dropRate: 0 }, { rng: new Rng(123) }).eval();
keepWeightsInBf16(bf16Model);
const prompt = [15496, 11, 314, 716];
const f32Bytes = new Decoder(model).weightBytesPerToken;
const bf16Bytes = new Decoder(bf16Model).weightBytesPerToken;

// Tokens/s of one generate() call: over the whole call (the decoder's set-up and the prompt's
// prefill included, as PyTorch's generate is timed) and over its decode steps alone (from the first
// new token to the last, the rate whose bytes per token the bandwidth limit is about; what
// `llm-scratch bench generate` reports as decode tokens/s).
function rate(m: GPTModel, kvCache = true): { whole: number; decode: number } {
  let first = 0;
  let last = 0;
  let made = 0;
  const t0 = performance.now();
  generate(m, prompt, {
    maxNewTokens: tokens,
    kvCache,
    onToken: () => {
      last = performance.now();
      if (made++ === 0) first = last;
    },
  });
  return { whole: tokens / ((performance.now() - t0) / 1000), decode: (made - 1) / ((last - first) / 1000) };
}

// KV-cache decoding, f32 and bf16, in rounds: a bandwidth probe, an f32 run, a bf16 run, a probe.
// The machine's bandwidth moves by the minute here, so each run is judged against the better probe
// of its own round and bf16 against the f32 run beside it; the medians over the rounds are reported.
generate(model, prompt, { maxNewTokens: 5 });
generate(bf16Model, prompt, { maxNewTokens: 5 });
type Rate = ReturnType<typeof rate>;
const rounds: { f32: Rate; bf16: Rate; bandwidth: ReadBandwidth }[] = [];
for (let r = 0; r < kvRounds; r++) {
  const before = measureReadBandwidth();
  const f32 = rate(model);
  const bf16 = rate(bf16Model);
  rounds.push({ f32, bf16, bandwidth: bestReadBandwidth(before, measureReadBandwidth()) });
}
const ours: Record<string, number> = {
  true: median(rounds.map((r) => r.f32.whole)),
  bf16: median(rounds.map((r) => r.bf16.whole)),
};
generate(model, prompt, { maxNewTokens: 5, kvCache: false });
ours.false = median(Array.from({ length: repeats }, () => rate(model, false).whole));

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
const bandwidth = bestReadBandwidth(...rounds.map((r) => r.bandwidth));

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
const bf16OverF32 = rounds.map((r) => r.bf16.decode / r.f32.decode);
console.log(
  `${'KV cache bf16'.padEnd(16)}${ours.bf16.toFixed(1).padStart(10)}${'-'.padStart(16)}${(pCache ? (ours.bf16 / pCache).toFixed(2) + 'x' : '-').padStart(8)}   (decode steps ${median(bf16OverF32).toFixed(2)}x our f32, median of ${kvRounds} rounds; ${Math.min(...bf16OverF32).toFixed(2)}-${Math.max(...bf16OverF32).toFixed(2)})`,
);
const gb = (x: number | null) => (x === null ? '-' : (x / 1e9).toFixed(1));
console.log(
  `read bandwidth ${gb(bandwidth.best)} GB/s (${threads} threads, native probe: ${gb(bandwidth.smallPages)} on 4 KiB pages, ${gb(bandwidth.hugePages)} on 2 MiB pages; weights on 2 MiB pages: ${(100 * decoder.hugePages).toFixed(0)}%)`,
);
for (const [label, bytes] of [
  ['f32', f32Bytes],
  ['bf16', bf16Bytes],
] as const) {
  // Each round's rate over the limit its own probes set.
  const reached = rounds.map((r) => (r[label].decode * bytes) / r.bandwidth.best);
  console.log(
    `  ${label}: decode steps ${median(rounds.map((r) => r[label].decode)).toFixed(1)} tok/s, ${(bytes / 1e6).toFixed(1)} MB/token, limit ${(bandwidth.best / bytes).toFixed(1)} tok/s at the best probe; ` +
      `reached ${(100 * median(reached)).toFixed(0)}% of its round's limit (median of ${kvRounds}; ${(100 * Math.min(...reached)).toFixed(0)}-${(100 * Math.max(...reached)).toFixed(0)}%)`,
  );
}
console.log(
  `prefill 256 tokens: decoder ${median(prefill.decoder).toFixed(1)} tok/s, module path ${median(prefill.module).toFixed(1)} tok/s (${(median(prefill.decoder) / median(prefill.module)).toFixed(2)}x)`,
);
