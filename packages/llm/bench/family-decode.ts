// Decode speed of a model family at a released shape: a random model built from a config.json (a
// name in data/configs, or a path), in f32 or with its matrices in bf16 (what loading with --dtype
// bf16 does), a prompt of random ids, then greedy tokens through the module forward with the
// grouped-query KV cache. Prints the prefill rate and the decode rate (median of the per-token
// times), the bytes of weights each decode step reads, and the fraction of the machine's read
// bandwidth (probed before and after the run, the better taken) that rate is; and the CPU seconds
// each token took: on a shared machine the wall clock says how busy the neighbours were.
// Usage: npm run bench:family -- --config llama-3.2-1b [--dtype f32|bf16] [--prompt 16] [--tokens 8]
import { existsSync } from 'node:fs';
import { adviseHugePages } from '../src/backend/huge-pages.js';
import { kernels } from '../src/backend/index.js';
import { readConfigFile } from '../src/io/hub-config.js';
import {
  bestReadBandwidth,
  measureReadBandwidth,
  moduleWeightBytesPerToken,
} from '../src/llm/bench-generate.js';
import { WEIGHT_DTYPES } from '../src/llm/decoder.js';
import { keepMatricesInBf16 } from '../src/llm/families/load.js';
import { familyFor } from '../src/llm/families/registry.js';
import { collectGarbage } from '../src/llm/weight-dtype.js';
import { dataPath } from '../src/paths.js';
import { noGrad, Rng, Tensor } from '../src/tensor/index.js';
import { benchArgs, choiceArg, countArg } from './lib/args.js';
import { median } from './lib/peer.js';

const values = benchArgs(
  'bench:family',
  'npm run bench:family -- [--config NAME|PATH] [--dtype f32|bf16] [--prompt N] [--tokens N]',
  {
    config: { type: 'string', default: 'qwen3-0.6b' },
    prompt: { type: 'string', default: '16' },
    tokens: { type: 'string', default: '8' },
    dtype: { type: 'string', default: 'f32' },
  },
);
const name = values.config;
const promptLength = countArg('bench:family', 'prompt', values.prompt);
const tokens = countArg('bench:family', 'tokens', values.tokens);
const dtype = choiceArg('bench:family', 'dtype', values.dtype, WEIGHT_DTYPES);
const file = existsSync(name) ? name : dataPath('configs', `${name}.json`);

const { config: hf, path } = readConfigFile(file);
const family = familyFor(hf, path);
const config = family.configFromHF(hf, path);
let t0 = performance.now();
const model = family.create(config, { rng: new Rng(1) }).eval();
// What loading gives: bf16 matrices in one buffer, or the f32 ones; 2 MiB pages asked under both.
if (dtype === 'bf16') {
  keepMatricesInBf16(model);
  collectGarbage();
} else adviseHugePages(model.parameters().flatMap((p) => (p.ndim === 2 ? [p.f32()] : [])));
const buildSeconds = (performance.now() - t0) / 1000;
const before = measureReadBandwidth();
const rng = new Rng(2);
const prompt = Array.from({ length: promptLength }, () => Math.floor(rng.uniform() * config.vocabSize));

const cache = model.newCache(1);
const step = (ids: number[]) =>
  noGrad(() => model.forward(new Tensor(Int32Array.from(ids), [1, ids.length]), { cache, lastOnly: true }));
t0 = performance.now();
let next = step(prompt).argmax().item();
const prefillSeconds = (performance.now() - t0) / 1000;
const times: number[] = [];
const cpu: number[] = [];
for (let i = 0; i < tokens; i++) {
  t0 = performance.now();
  const c0 = process.cpuUsage();
  next = step([next]).argmax().item();
  const c = process.cpuUsage(c0);
  times.push((performance.now() - t0) / 1000);
  cpu.push((c.user + c.system) / 1e6);
}
const bandwidth = bestReadBandwidth(before, measureReadBandwidth());
const parameters = model.numParameters();
const weightBytesPerToken = moduleWeightBytesPerToken(model);
const decodeTokensPerSecond = 1 / median(times);
console.log(
  JSON.stringify({
    config: name,
    family: family.name,
    backend: kernels().name,
    parameters,
    dtype,
    weightBytesPerToken,
    buildSeconds: +buildSeconds.toFixed(1),
    promptTokens: promptLength,
    prefillTokensPerSecond: +(promptLength / prefillSeconds).toFixed(2),
    decodeTokens: tokens,
    decodeTokensPerSecond: +decodeTokensPerSecond.toFixed(2),
    readBandwidthGBs: +(bandwidth.best / 1e9).toFixed(1),
    bandwidthFraction: +((decodeTokensPerSecond * weightBytesPerToken) / bandwidth.best).toFixed(3),
    decodeSecondsPerToken: times.map((t) => +t.toFixed(3)),
    decodeCpuSecondsPerToken: +median(cpu).toFixed(3),
  }),
);
