// GPT-2 BPE throughput, ours against tiktoken (WASM), js-tiktoken and gpt-tokenizer (r50k_base), in
// one process on the same texts: the Brown corpus (tags stripped) and the SpamAssassin emails.
// Every tokenizer is warmed up on the text first; each encode and decode is then timed `reps` times
// (median and best reported), and all four must give identical ids. Besides wall-clock MB/s, the
// encode is reported per second of process CPU time (user + system, GC threads included), which a
// shared, loaded machine disturbs less than the wall clock.
//
// Then the whole process, start-up included (bench/lib/whole-process.ts): our CLI beside tiktoken
// and gpt-tokenizer in scripts of their own, on "hi" and on the Brown corpus. It runs the built CLI
// (bin/llm-scratch.js): `npm run build` first.
//
//   npm run bench:tokenizer [-- --reps 3 --process-runs 5 --process-only --json]
import { encode as gptTokenizerEncode, decode as gptTokenizerDecode } from 'gpt-tokenizer/encoding/r50k_base';
import { getEncoding } from 'js-tiktoken';
import { cpus } from 'node:os';
import { get_encoding } from 'tiktoken';
import { backendInfo } from '../src/cli/commands/info.js';
import { gpt2Tokenizer } from '../src/llm/fundamentals.js';
import { brownText, spamAssassinText } from './corpora.js';
import { benchArgs, countArg } from './lib/args.js';
import { wholeProcess } from './lib/whole-process.js';

interface Peer {
  name: string;
  encode(text: string): ArrayLike<number>;
  decode(ids: number[]): string;
}

const values = benchArgs(
  'bench:tokenizer',
  'npm run bench:tokenizer -- [--reps 3] [--process-runs 5] [--process-only] [--json]',
  {
    reps: { type: 'string', default: '3' },
    'process-runs': { type: 'string', default: '5' },
    // Only the whole-process comparison (the in-process one takes minutes, js-tiktoken being slow).
    'process-only': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
);
const reps = countArg('bench:tokenizer', 'reps', values.reps);
const processRuns = countArg('bench:tokenizer', 'process-runs', values['process-runs']);
const processOnly = values['process-only'];
const json = values.json;
const log = (line: string) => process.stderr.write(line + '\n');

const ours = gpt2Tokenizer();
const wasm = get_encoding('gpt2');
const jsTiktoken = getEncoding('gpt2');
const utf8 = new TextDecoder();
const peers: Peer[] = [
  { name: 'llm-scratch', encode: (t) => ours.encode(t), decode: (ids) => ours.decode(ids) },
  {
    name: 'tiktoken (WASM)',
    encode: (t) => wasm.encode(t),
    decode: (ids) => utf8.decode(wasm.decode(Uint32Array.from(ids))),
  },
  { name: 'js-tiktoken', encode: (t) => jsTiktoken.encode(t), decode: (ids) => jsTiktoken.decode(ids) },
  { name: 'gpt-tokenizer', encode: (t) => gptTokenizerEncode(t), decode: (ids) => gptTokenizerDecode(ids) },
];

function time(fn: () => void, cpu?: number[]): number {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const seconds = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  cpu?.push((c.user + c.system) / 1e6);
  return seconds;
}

function stats(seconds: number[], megabytes: number) {
  const sorted = [...seconds].sort((a, b) => a - b);
  return { median: megabytes / sorted[Math.floor(sorted.length / 2)], best: megabytes / sorted[0] };
}

const results: Array<Record<string, unknown>> = [];
for (const [corpus, text] of [
  ['Brown', brownText()],
  ['SpamAssassin', spamAssassinText()],
] as const) {
  if (processOnly) break;
  const megabytes = Buffer.byteLength(text) / 1e6;
  log(`\n${corpus}: ${megabytes.toFixed(1)} MB of UTF-8, ${reps} timed runs each after a warm-up run`);
  let reference: number[] | null = null;
  const rows: Array<{
    name: string;
    encode: { median: number; best: number };
    encodeCpu: { median: number; best: number };
    decode: { median: number; best: number };
  }> = [];
  for (const peer of peers) {
    const ids = Array.from(peer.encode(text)); // warm-up, and the ids to compare
    if (reference === null) reference = ids;
    else if (ids.length !== reference.length || ids.some((id, i) => id !== reference![i])) {
      throw new Error(`${peer.name} disagrees with llm-scratch on ${corpus}`);
    }
    if (peer.decode(ids) !== text)
      throw new Error(`${peer.name}: decode(encode(text)) !== text on ${corpus}`);
    const encodeTimes: number[] = [];
    const encodeCpu: number[] = [];
    const decodeTimes: number[] = [];
    for (let r = 0; r < reps; r++) {
      encodeTimes.push(time(() => peer.encode(text), encodeCpu));
      decodeTimes.push(time(() => peer.decode(ids)));
    }
    rows.push({
      name: peer.name,
      encode: stats(encodeTimes, megabytes),
      encodeCpu: stats(encodeCpu, megabytes),
      decode: stats(decodeTimes, megabytes),
    });
  }
  log(`all ${peers.length} give identical ids (${reference!.length} tokens)`);
  const [us] = rows;
  log(
    '| tokenizer | encode MB/s median (best) | ours / it | encode MB per CPU-s | ours / it | decode MB/s median (best) | ours / it |',
  );
  log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const row of rows) {
    const ratio = (a: number, b: number) => (row === us ? '' : `${(a / b).toFixed(2)}x`);
    log(
      `| ${row.name} | ${row.encode.median.toFixed(1)} (${row.encode.best.toFixed(1)}) | ${ratio(us.encode.median, row.encode.median)} ` +
        `| ${row.encodeCpu.median.toFixed(1)} | ${ratio(us.encodeCpu.median, row.encodeCpu.median)} ` +
        `| ${row.decode.median.toFixed(1)} (${row.decode.best.toFixed(1)}) | ${ratio(us.decode.median, row.decode.median)} |`,
    );
  }
  results.push({ corpus, megabytes, tokens: reference!.length, rows });
}
wasm.free();
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores; ${backendInfo().backend} kernels (${backendInfo().isa ?? 'no ISA'})`;
log(`\n${machine}`);
const processes = wholeProcess(
  [
    ['"hi"', 'hi'],
    ['Brown', brownText()],
  ],
  processRuns,
  log,
);
if (json) process.stdout.write(JSON.stringify({ machine, results, processes }) + '\n');
