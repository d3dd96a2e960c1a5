// Batched serving (issue 22): the aggregate tokens/s of `serve` at 1, 4 and 8 concurrent streams
// (POST /v1/generate, server-sent events; the clients in a child process), and the ratio to one stream. Each stream's
// greedy text and token count are checked against the same prompt served alone, the 1-stream runs.
// The 1-stream rate is the mean over 8 prompts served one after the other; each N-stream rate is
// all of their tokens over the time from the first request to the last answer.
// Usage: npm run bench:serve [-- --model DIR --tokens N --dtype f32|bf16 --max-batch N --repeats N]
//   (default: random-weight gpt2-small in f32, 64 new tokens per stream, prompts of 3-5 tokens)
import { fork } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { backendInfo } from '../src/cli/commands/info.js';
import { keepWeightsInBf16, WEIGHT_DTYPES } from '../src/llm/decoder.js';
import { GPTModel, presetConfig } from '../src/llm/gpt.js';
import { loadModel, ModelRegistry, parseModelSpec, serveModel } from '../src/serve/registry.js';
import { buildServer } from '../src/serve/server.js';
import { Rng } from '../src/tensor/index.js';
import { benchArgs, choiceArg, countArg } from './lib/args.js';
import { median } from './lib/peer.js';

const values = benchArgs(
  'bench:serve',
  'npm run bench:serve -- [--model DIR] [--tokens N] [--dtype f32|bf16] [--max-batch N] [--repeats N]',
  {
    model: { type: 'string' },
    tokens: { type: 'string', default: '64' },
    dtype: { type: 'string', default: 'f32' },
    'max-batch': { type: 'string', default: '8' },
    repeats: { type: 'string', default: '3' },
  },
);
const tokens = countArg('bench:serve', 'tokens', values.tokens);
const dtype = choiceArg('bench:serve', 'dtype', values.dtype, WEIGHT_DTYPES);
const maxBatch = countArg('bench:serve', 'max-batch', values['max-batch']);
const repeats = countArg('bench:serve', 'repeats', values.repeats);
const STREAMS = [1, 4, 8];
const PROMPTS = [
  'Every effort moves you',
  'The quick brown fox',
  'Once upon a time there',
  'In the beginning',
  'Hello, my name is',
  'The meaning of life is',
  'She opened the door and',
  'Rain fell on the',
];

function servedModel() {
  const dir = values.model;
  if (dir) return loadModel(parseModelSpec(dir), { maxQueue: 8, maxBatch, dtype });
  const model = new GPTModel({ ...presetConfig('gpt2-small'), dropRate: 0 }, { rng: new Rng(123) });
  const parameters = model.numParameters();
  if (dtype === 'bf16') keepWeightsInBf16(model);
  return serveModel(
    { name: 'gpt2-small', dir: '', kind: 'base', model, parameters },
    { maxQueue: 8, maxBatch },
  );
}

const served = servedModel();
const app = await buildServer({ registry: new ModelRegistry([served]), webDir: null });
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/v1/generate`;

interface Stream {
  text: string;
  count: number;
}

// The clients run in a child process (bench/lib/serve-clients.mjs); each call sends it one set of
// concurrent prompts and gets back their answers and the seconds from the first request to the
// last answer.
const clients = fork(fileURLToPath(new URL('./lib/serve-clients.mjs', import.meta.url)));
const pending = new Map<number, (m: { seconds: number; answers: Stream[] } | { error: string }) => void>();
clients.on('message', (m: { id: number }) => pending.get(m.id)?.(m as never));
let nextId = 0;
function concurrent(prompts: string[]): Promise<{ seconds: number; answers: Stream[] }> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, (m) => {
      pending.delete(id);
      if ('error' in m) reject(new Error(`bench:serve client: ${m.error}`));
      else resolve(m);
    });
    clients.send({ id, url, prompts, tokens });
  });
}

const info = backendInfo();
console.log(
  `${served.name} (${served.parameters.toLocaleString('en')} parameters, ${dtype} weights), ` +
    `${tokens} greedy tokens per stream, max batch ${maxBatch}, ${repeats} repeats (medians)`,
);
// The load average says how much else the machine ran meanwhile (serving shares the cores with it).
const load = () => loadavg()[0].toFixed(1);
console.log(
  `backend ${info.backend}, ISA ${info.isa ?? 'typescript'}, ${info.threads} threads, ` +
    `CPU ${cpus()[0]?.model ?? 'unknown'} (${cpus().length} cores), load average ${load()}`,
);

await concurrent([PROMPTS[0]]); // warm-up: JIT, tokenizer, buffers
let alone: Stream[] = [];
const rates = new Map<number, number[]>(STREAMS.map((n) => [n, []]));
const mismatches = new Map<number, number>(STREAMS.map((n) => [n, 0]));
for (let r = 0; r < repeats; r++) {
  // One stream: each prompt served alone, one after the other; their answers are the reference.
  const solo: Stream[] = [];
  let seconds = 0;
  for (const p of PROMPTS) {
    const run = await concurrent([p]);
    seconds += run.seconds;
    solo.push(run.answers[0]);
  }
  if (r === 0) alone = solo;
  rates.get(1)!.push(solo.reduce((s, a) => s + a.count, 0) / seconds);
  for (const n of STREAMS.filter((n) => n > 1)) {
    const run = await concurrent(PROMPTS.slice(0, n));
    rates.get(n)!.push(run.answers.reduce((s, a) => s + a.count, 0) / run.seconds);
    run.answers.forEach((a, i) => {
      if (a.text !== alone[i].text || a.count !== alone[i].count) mismatches.set(n, mismatches.get(n)! + 1);
    });
  }
  solo.forEach((a, i) => {
    if (a.text !== alone[i].text || a.count !== alone[i].count) mismatches.set(1, mismatches.get(1)! + 1);
  });
}
clients.disconnect();
await app.close();

const base = median(rates.get(1)!);
for (const n of STREAMS) {
  const rate = median(rates.get(n)!);
  const bad = mismatches.get(n)!;
  const check =
    bad === 0
      ? `all ${(n > 1 ? n : PROMPTS.length) * repeats} streams equal their solo run`
      : `${bad} streams DIFFER from their solo run`;
  console.log(
    `${String(n).padStart(2)} stream${n > 1 ? 's' : ' '}  ${rate.toFixed(1).padStart(7)} tok/s aggregate  ` +
      `${(rate / base).toFixed(2)}x   ${check}`,
  );
}
console.log(
  `peak batch ${served.batcher?.peakBatch ?? 1}, ${served.batcher?.steps ?? 0} batched decode steps, ` +
    `load average ${load()} at the end`,
);
if ([...mismatches.values()].some((m) => m > 0)) process.exitCode = 1;
