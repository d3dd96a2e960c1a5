// Generation speed: random-weight gpt2-small, a 4-token prompt, 100 new greedy tokens, with and
// without the KV cache, side by side with the book's model in PyTorch (bench/gpt_torch.py) on the
// same threads. Usage: npm run bench:generate [-- --threads N --tokens N]
import { join } from 'node:path';
import { kernels } from '../src/backend/index.js';
import { loadNative } from '../src/backend/native.js';
import { generate } from '../src/llm/generate.js';
import { GPTModel, presetConfig } from '../src/llm/gpt.js';
import { Rng } from '../src/tensor/index.js';
import { hasTorch, median, runPeer, threadsArg } from './lib/peer.js';

const threads = threadsArg();
const tokensArg = process.argv.indexOf('--tokens');
const tokens = tokensArg >= 0 ? Number(process.argv[tokensArg + 1]) : 100;
const repeats = 3;
loadNative()?.setThreads(threads);

const model = new GPTModel({ ...presetConfig('gpt2-small'), dropRate: 0 }, { rng: new Rng(123) }).eval();
const prompt = [15496, 11, 314, 716];
const ours: Record<string, number> = {};
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
