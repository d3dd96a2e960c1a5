// What serving costs on top of generation: the same greedy tokens from the library's generate()
// and from POST /v1/generate streamed over HTTP (SSE, a turn of the event loop per token), in one
// process, alternated, medians of the repeats; plus the time to the first streamed token.
// Usage: npm run bench:serve [-- --model DIR --tokens N]   (default: random-weight gpt2-mini)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernels } from '../src/backend/index.js';
import { saveModelDir } from '../src/llm/families/gpt2.js';
import { gpt2Tokenizer } from '../src/llm/fundamentals.js';
import { generate } from '../src/llm/generate.js';
import { GPTModel, presetConfig } from '../src/llm/gpt.js';
import { ModelRegistry, parseModelSpec } from '../src/serve/registry.js';
import { buildServer } from '../src/serve/server.js';
import { Rng } from '../src/tensor/index.js';
import { median } from './lib/peer.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const tokens = Number(arg('tokens') ?? 100);
const repeats = 5;
const prompt = 'Every effort moves you';

let dir = arg('model');
let tmp: string | null = null;
if (!dir) {
  tmp = mkdtempSync(join(tmpdir(), 'bench-serve-'));
  dir = join(tmp, 'gpt2-mini');
  saveModelDir(dir, new GPTModel({ ...presetConfig('gpt2-mini'), dropRate: 0 }, { rng: new Rng(123) }));
}
const registry = ModelRegistry.load([parseModelSpec(dir)], 8);
const served = registry.list()[0];
const app = await buildServer({ registry, webDir: null });
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/v1/generate`;
const ids = gpt2Tokenizer().encode(prompt);

// No end token: both sides produce exactly `tokens` tokens.
const direct = () => generate(served.model, ids, { maxNewTokens: tokens });

async function overHttp(): Promise<{ first: number; count: number }> {
  const t0 = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt, maxNewTokens: tokens, stream: true }),
  });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let first = 0;
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    if (!first && value.includes('event: token')) first = performance.now() - t0;
    text += value;
  }
  const done = JSON.parse(text.split('event: done\ndata: ')[1]);
  return { first, count: done.usage.completionTokens };
}

direct();
await overHttp();
const rates = { direct: [] as number[], http: [] as number[], first: [] as number[] };
for (let r = 0; r < repeats; r++) {
  let t0 = performance.now();
  direct();
  rates.direct.push(tokens / ((performance.now() - t0) / 1000));
  t0 = performance.now();
  const { first, count } = await overHttp();
  rates.http.push(count / ((performance.now() - t0) / 1000));
  rates.first.push(first);
}
await app.close();
if (tmp) rmSync(tmp, { recursive: true, force: true });

const d = median(rates.direct);
const h = median(rates.http);
console.log(
  `${served.name} (${served.parameters.toLocaleString('en')} parameters), ${tokens} greedy tokens, backend ${kernels().name}`,
);
console.log(`generate() in process   ${d.toFixed(1).padStart(8)} tok/s`);
console.log(`POST /v1/generate (SSE) ${h.toFixed(1).padStart(8)} tok/s   ${(h / d).toFixed(2)}x`);
console.log(`first streamed token    ${median(rates.first).toFixed(1).padStart(8)} ms`);
