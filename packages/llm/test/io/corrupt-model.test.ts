// Corrupted model directories, made from the valid tiny GPT-2 one: truncated and padded files,
// flipped bytes in the header and its length, forged dtypes, shapes and offsets, missing and extra
// tensors, bad configs, and directories, pipes and dangling links where files should be. Each runs
// `llm-scratch generate` in-process and must end in one line naming the problem (exit 1), or
// generate where the mutation is harmless; a few run as real processes, to show that none prints
// a stack trace or hangs.
import { execFile, execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { llmScratch } from '../../src/cli/llm-scratch.js';
import { writeSafetensors } from '../../src/io/safetensors.js';
import * as T from '../../src/tensor/index.js';
import { runCli } from '../../../../test/helpers/cli.js';
import { fixture, fixtureTensors, writeFixtureModel } from '../helpers/gpt2-fixture.js';

const root = mkdtempSync(join(tmpdir(), 'corrupt-model-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const base = writeFixtureModel(join(root, 'base'));
const weights = readFileSync(join(base, 'model.safetensors'));
const headerLength = Number(weights.readBigUInt64LE(0));
const headerJson = JSON.parse(weights.subarray(8, 8 + headerLength).toString('utf8')) as Record<
  string,
  { dtype: string; shape: number[]; data_offsets: number[] }
>;
const data = weights.subarray(8 + headerLength);
const config = { model_type: 'gpt2', ...fixture.config };

type Make = (dir: string) => void;

const writeWeights =
  (bytes: Uint8Array): Make =>
  (dir) =>
    writeFileSync(join(dir, 'model.safetensors'), bytes);
const writeConfig =
  (text: string): Make =>
  (dir) =>
    writeFileSync(join(dir, 'config.json'), text);
const withConfig = (change: Record<string, unknown>): Make =>
  writeConfig(JSON.stringify({ ...config, ...change }));

// The file with byte `at` XOR `mask`.
function flipped(at: number, mask: number): Make {
  const bytes = Buffer.from(weights);
  bytes[at] ^= mask;
  return writeWeights(bytes);
}

// The file with bytes written at `at`.
function writeAt(at: number, values: number[]): Make {
  const bytes = Buffer.from(weights);
  bytes.set(values, at);
  return writeWeights(bytes);
}

// The file with a header edited as JSON (the length rewritten to fit) and the data as it was.
function header(edit: (h: Record<string, unknown>) => void, tail: Uint8Array = data): Make {
  const h = structuredClone(headerJson) as Record<string, unknown>;
  edit(h);
  const json = Buffer.from(JSON.stringify(h));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return writeWeights(Buffer.concat([length, json, tail]));
}

const tensor = (h: Record<string, unknown>, name: string) =>
  h[name] as { dtype: string; shape: unknown; data_offsets: unknown };

// The file with the header length replaced.
function length(value: bigint): Make {
  const bytes = Buffer.from(weights);
  bytes.writeBigUInt64LE(value, 0);
  return writeWeights(bytes);
}

// The fixture's tensors, changed, written by our own (valid) writer.
function tensors(edit: (t: Map<string, T.Tensor>) => void): Make {
  return (dir) => {
    const t = fixtureTensors();
    edit(t);
    writeSafetensors(join(dir, 'model.safetensors'), t, { format: 'pt' });
  };
}

const replaceWith =
  (file: string, what: 'dir' | 'dangling' | 'fifo' | 'missing' | 'empty'): Make =>
  (dir) => {
    const path = join(dir, file);
    rmSync(path, { force: true });
    if (what === 'dir') mkdirSync(path);
    if (what === 'dangling') symlinkSync(join(dir, 'gone'), path);
    if (what === 'empty') writeFileSync(path, '');
    // Node has no mkfifo; coreutils' is on every system the suite runs on.
    if (what === 'fifo') execFileSync('mkfifo', [path]);
  };

const lmHead = (t: Map<string, T.Tensor>, same: boolean) =>
  t.set('lm_head.weight', same ? t.get('wte.weight')! : t.get('wte.weight')!.mul(2));

const OK = null;
// [what was done, how to make it, what the one line says (null: generates)]
const cases: [string, Make, RegExp | null][] = [
  // truncated and padded files
  ['an empty weights file', writeWeights(new Uint8Array(0)), /model\.safetensors: .*the file is empty/],
  ['4 bytes', writeWeights(weights.subarray(0, 4)), /shorter than the 8-byte header length/],
  ['the header length alone', writeWeights(weights.subarray(0, 8)), /runs past the end of the 8-byte file/],
  ['cut in the header', writeWeights(weights.subarray(0, 8 + headerLength / 2)), /runs past the end/],
  ['cut right after the header', writeWeights(weights.subarray(0, 8 + headerLength)), /truncated/],
  ['cut in the data', writeWeights(weights.subarray(0, weights.length / 2)), /truncated/],
  ['the last byte cut', writeWeights(weights.subarray(0, weights.length - 1)), /truncated/],
  [
    'one byte appended',
    writeWeights(Buffer.concat([weights, Buffer.from([0])])),
    /1 bytes after the last tensor/,
  ],
  [
    '4 KiB appended',
    writeWeights(Buffer.concat([weights, Buffer.alloc(4096)])),
    /4096 bytes after the last tensor/,
  ],
  // the header length
  [
    'the header length one short',
    length(BigInt(headerLength - 1)),
    /bytes after the last tensor|not valid JSON/,
  ],
  ['the header length one long', length(BigInt(headerLength + 1)), /not valid (JSON|UTF-8)/],
  ['the header length 2^63', length(2n ** 63n), /header length 9223372036854775808 exceeds 100000000/],
  ['the header length just under the limit', length(99_999_999n), /runs past the end of the/],
  ['the header length 0', length(0n), /does not start with '\{'/],
  ['bit 7 of the length flipped', flipped(0, 0x80), /not valid JSON|runs past/],
  ['bit 4 of the length flipped', flipped(0, 0x10), /not valid JSON|does not start/],
  ['byte 2 of the length flipped', flipped(2, 0xff), /runs past|not valid JSON/],
  ['byte 5 of the length flipped', flipped(5, 0x01), /exceeds 100000000/],
  // flipped bytes in the header
  ["the header's '{' flipped", flipped(8, 0x01), /does not start with '\{'/],
  [
    "the header's last '}' flipped",
    flipped(8 + JSON.stringify(headerJson).length - 1, 0x02),
    /not valid JSON/,
  ],
  [
    'a byte in a tensor name flipped',
    flipped(8 + JSON.stringify(headerJson).indexOf('wte') + 1, 0x01),
    /missing tensor 'wte.weight'.*unexpected tensors: 'wue.weight'/,
  ],
  [
    'a byte in a dtype flipped',
    flipped(8 + JSON.stringify(headerJson).indexOf('F32'), 0x04),
    /unknown dtype '"B32"'/,
  ],
  [
    'a digit of a shape flipped',
    flipped(8 + JSON.stringify(headerJson).indexOf('"shape":[') + 9, 0x02),
    /needs \d+ bytes, but its data_offsets/,
  ],
  [
    'a digit of an offset flipped',
    flipped(8 + JSON.stringify(headerJson).indexOf('"data_offsets":[') + 18, 0x01),
    /data_offsets|starts at byte/,
  ],
  [
    'a byte of the metadata value flipped',
    flipped(8 + JSON.stringify(headerJson).indexOf('"pt"') + 1, 0x04),
    OK,
  ],
  [
    'a float in the data made NaN',
    writeAt(8 + headerLength + 4, [0xff, 0xff, 0xff, 0x7f]),
    /tensor 'h.0.attn.c_attn.bias' holds NaN at element 1/,
  ],
  [
    'a float in the data made infinite',
    writeAt(weights.length - 4, [0, 0, 0x80, 0xff]),
    /tensor 'wte.weight' holds -Infinity at element 3216447/,
  ],
  [
    'a byte of the header made invalid UTF-8',
    flipped(8 + JSON.stringify(headerJson).indexOf('"pt"') + 1, 0x80),
    /not valid UTF-8/,
  ],
  // forged dtypes, shapes and offsets
  [
    'a float tensor declared I32',
    header((h) => void (tensor(h, 'wte.weight').dtype = 'I32')),
    /tensor 'wte.weight' is I32; the model takes F32, F16, BF16/,
  ],
  [
    'a float tensor declared U32',
    header((h) => void (tensor(h, 'ln_f.bias').dtype = 'U32')),
    /tensor 'ln_f.bias' is U32/,
  ],
  [
    'a dtype of the wrong size',
    header((h) => void (tensor(h, 'ln_f.bias').dtype = 'F16')),
    /'ln_f.bias' of shape \[64\] F16 needs 128 bytes/,
  ],
  ['an unknown dtype', header((h) => void (tensor(h, 'ln_f.bias').dtype = 'F33')), /unknown dtype/],
  [
    'a dtype that is a number',
    header((h) => void ((tensor(h, 'ln_f.bias') as { dtype: unknown }).dtype = 32)),
    /unknown dtype '32'/,
  ],
  [
    'a transposed embedding (same byte count)',
    header((h) => void (tensor(h, 'wte.weight').shape = [64, 50257])),
    /'wte.weight' has shape \[64, 50257\], expected \[50257, 64\]/,
  ],
  ['a shape of the wrong size', header((h) => void (tensor(h, 'ln_f.bias').shape = [65])), /needs 260 bytes/],
  [
    'a huge shape',
    header((h) => void (tensor(h, 'ln_f.bias').shape = [2 ** 52, 2 ** 52])),
    /needs \d{20,} bytes/,
  ],
  ['a negative dimension', header((h) => void (tensor(h, 'ln_f.bias').shape = [-64])), /invalid shape/],
  ['a dimension as a string', header((h) => void (tensor(h, 'ln_f.bias').shape = ['64'])), /invalid shape/],
  ['offsets shifted to overlap', header((h) => shift(h, 'ln_f.bias', -4)), /overlaps|gap/],
  [
    'offsets shifted to leave a hole',
    header((h) => shift(h, 'ln_f.bias', 4)),
    /gap|truncated|after the last tensor|overlaps/,
  ],
  ['the last tensor moved 8 bytes on', header((h) => shift(h, lastTensor(h), 8)), /leaves a gap|truncated/],
  [
    'a fractional offset',
    header((h) => void (tensor(h, 'ln_f.bias').data_offsets = [0.5, 256.5])),
    /invalid data_offsets/,
  ],
  [
    'offsets in reverse',
    header(
      (h) =>
        void (tensor(h, 'ln_f.bias').data_offsets = [
          ...(tensor(h, 'ln_f.bias').data_offsets as number[]),
        ].reverse()),
    ),
    /invalid data_offsets/,
  ],
  [
    'three offsets',
    header((h) => void (tensor(h, 'ln_f.bias').data_offsets = [0, 1, 2])),
    /invalid data_offsets/,
  ],
  ['a tensor described by null', header((h) => void (h['ln_f.bias'] = null)), /'ln_f.bias' is not an object/],
  ['a header that is an array', (dir) => writeRaw(dir, '[]'), /does not start with '\{'/],
  ['a header that is null', (dir) => writeRaw(dir, 'null '), /does not start|not a JSON object/],
  [
    'metadata with a number',
    header((h) => void (h.__metadata__ = { format: 'pt', step: 3 })),
    /__metadata__ must map names to strings/,
  ],
  ['metadata that is a string', header((h) => void (h.__metadata__ = 'pt')), /__metadata__ must map/],
  ['no metadata', header((h) => void delete h.__metadata__), OK],
  // missing, extra and head tensors
  ['a missing tensor', tensors((t) => t.delete('h.1.ln_2.bias')), /missing tensor 'h.1.ln_2.bias'/],
  [
    'a whole layer missing',
    tensors((t) => [...t.keys()].filter((k) => k.startsWith('h.1.')).forEach((k) => t.delete(k))),
    /holds 1 layers \(h.N.\*\), config.json says n_layer 2/,
  ],
  [
    'an extra tensor',
    tensors((t) => t.set('extra.weight', T.zeros([2]))),
    /unexpected tensors: 'extra.weight'/,
  ],
  ['an extra layer', tensors((t) => t.set('h.2.ln_1.bias', T.zeros([64]))), /holds 3 layers/],
  ["transformers' causal-mask buffer", tensors((t) => t.set('h.0.attn.bias', T.zeros([1, 1, 64, 64]))), OK],
  ["transformers' transformer. prefix", (dir) => writeFixtureModel(dir, { prefix: 'transformer.' }), OK],
  ['an int32 tensor', tensors((t) => t.set('ln_f.bias', T.tensor(new Int32Array(64)))), /'ln_f.bias' is I32/],
  ['a head equal to the tied embedding', tensors((t) => lmHead(t, true)), OK],
  [
    'a head that differs from the tied embedding',
    tensors((t) => lmHead(t, false)),
    /'lm_head.weight' differs from 'wte.weight', but config.json says tie_word_embeddings: true/,
  ],
  [
    'an untied config without a head',
    withConfig({ tie_word_embeddings: false }),
    /no 'lm_head.weight', but config.json says tie_word_embeddings: false/,
  ],
  [
    'an untied config with its head',
    (dir) => (withConfig({ tie_word_embeddings: false })(dir), tensors((t) => lmHead(t, false))(dir)),
    OK,
  ],
  [
    'a head of the wrong shape',
    tensors((t) => t.set('lm_head.weight', T.zeros([10, 64]))),
    /'lm_head.weight' has shape \[10, 64\], expected \[50257, 64\]/,
  ],
  // config.json
  ['config null', writeConfig('null'), /config.json: expected a JSON object, got null/],
  ['config an array', writeConfig('[1]'), /expected a JSON object, got an array/],
  ['config a string', writeConfig('"gpt2"'), /expected a JSON object, got the string/],
  ['config a number', writeConfig('42'), /expected a JSON object, got 42/],
  ['config not JSON', writeConfig('{"n_embd": 64,'), /config.json: not valid JSON/],
  ['config empty', writeConfig(''), /config.json: not valid JSON/],
  ['config with a byte-order mark', writeConfig('\uFEFF' + JSON.stringify(config)), OK],
  ['config with unknown keys', withConfig({ something: { nested: [1] } }), OK],
  [
    'n_embd as a string',
    withConfig({ n_embd: '64' }),
    /'n_embd' must be a positive integer, got the string "64"/,
  ],
  ['n_layer 0', withConfig({ n_layer: 0 }), /'n_layer' must be a positive integer, got 0/],
  ['n_layer -1', withConfig({ n_layer: -1 }), /'n_layer' must be a positive integer, got -1/],
  ['n_layer 2.5', withConfig({ n_layer: 2.5 }), /'n_layer' must be a positive integer, got 2.5/],
  [
    'n_layer 1000000000',
    withConfig({ n_layer: 1_000_000_000 }),
    /'n_layer' is 1000000000, above the limit of 1024/,
  ],
  ['n_layer 3', withConfig({ n_layer: 3 }), /holds 2 layers \(h.N.\*\), config.json says n_layer 3/],
  ['n_layer 1', withConfig({ n_layer: 1 }), /holds 2 layers/],
  ['n_head 3, not dividing 64', withConfig({ n_head: 3 }), /'n_embd' 64 is not divisible by 'n_head' 3/],
  ['n_head 0', withConfig({ n_head: 0 }), /'n_head' must be a positive integer/],
  ['n_head 8 (divides, shapes unchanged)', withConfig({ n_head: 8 }), OK],
  [
    'vocab_size one short',
    withConfig({ vocab_size: 50256 }),
    /'wte.weight' has shape \[50257, 64\], expected \[50256, 64\]/,
  ],
  [
    'n_positions 128',
    withConfig({ n_positions: 128 }),
    /'wpe.weight' has shape \[64, 64\], expected \[128, 64\]/,
  ],
  ['n_positions 10^7', withConfig({ n_positions: 1e7 }), /'n_positions' is 10000000, above the limit/],
  ['n_embd 10^300', withConfig({ n_embd: 1e300 }), /'n_embd' is 1e\+300, above the limit/],
  ['vocab_size missing', withConfig({ vocab_size: undefined }), /missing 'vocab_size'/],
  ['vocab_size null', withConfig({ vocab_size: null }), /'vocab_size' must be a positive integer, got null/],
  [
    'tie_word_embeddings "yes"',
    withConfig({ tie_word_embeddings: 'yes' }),
    /'tie_word_embeddings' must be true or false/,
  ],
  ['resid_pdrop 2', withConfig({ resid_pdrop: 2 }), /dropout rate must be a number in \[0, 1\), got 2/],
  ['llm_scratch a number', withConfig({ llm_scratch: 5 }), /'llm_scratch' must be an object/],
  // files that are not files
  [
    'model.safetensors a directory',
    replaceWith('model.safetensors', 'dir'),
    /cannot read weights .*model\.safetensors: is a directory, not a file/,
  ],
  [
    'model.safetensors missing',
    replaceWith('model.safetensors', 'missing'),
    /cannot read weights .*model\.safetensors: no such file/,
  ],
  [
    'model.safetensors a dangling link',
    replaceWith('model.safetensors', 'dangling'),
    /model\.safetensors: a symbolic link to a missing file/,
  ],
  [
    'model.safetensors a named pipe',
    replaceWith('model.safetensors', 'fifo'),
    /model\.safetensors: not a regular file/,
  ],
  [
    'model.safetensors a link to the real file',
    (dir) => (
      copyFileSync(join(dir, 'model.safetensors'), join(dir, 'real')),
      rmSync(join(dir, 'model.safetensors')),
      symlinkSync(join(dir, 'real'), join(dir, 'model.safetensors'))
    ),
    OK,
  ],
  ['config.json a directory', replaceWith('config.json', 'dir'), /config\.json: is a directory, not a file/],
  ['config.json missing', replaceWith('config.json', 'missing'), /: missing config\.json/],
  [
    'config.json a dangling link',
    replaceWith('config.json', 'dangling'),
    /config\.json: a symbolic link to a missing file/,
  ],
  [
    'only a shard index',
    (dir) => (
      replaceWith('model.safetensors', 'missing')(dir),
      writeFileSync(
        join(dir, 'model.safetensors.index.json'),
        '{"weight_map":{"wte.weight":"model-00001-of-00002.safetensors"}}',
      )
    ),
    /shard 'model-00001-of-00002\.safetensors' named in model\.safetensors\.index\.json is missing/,
  ],
];

function shift(h: Record<string, unknown>, name: string, by: number): void {
  const t = tensor(h, name);
  t.data_offsets = (t.data_offsets as number[]).map((o) => o + by);
}

function lastTensor(h: Record<string, unknown>): string {
  return Object.keys(h)
    .filter((k) => k !== '__metadata__')
    .reduce((a, b) =>
      (tensor(h, a).data_offsets as number[])[1] > (tensor(h, b).data_offsets as number[])[1] ? a : b,
    );
}

function writeRaw(dir: string, json: string): void {
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(join(dir, 'model.safetensors'), Buffer.concat([length, Buffer.from(json)]));
}

let serial = 0;
function corrupted(make: Make): string {
  const dir = join(root, `case-${serial++}`);
  mkdirSync(dir);
  copyFileSync(join(base, 'config.json'), join(dir, 'config.json'));
  copyFileSync(join(base, 'model.safetensors'), join(dir, 'model.safetensors'));
  make(dir);
  return dir;
}

const generateArgs = (dir: string) => ['generate', '--model', dir, '--ids', '1,2', '--max-new-tokens', '2'];

describe(`${cases.length} corrupted model directories`, () => {
  it('are at least 60', () => expect(cases.length).toBeGreaterThanOrEqual(60));

  it.each(cases)(
    '%s',
    async (_, make, message) => {
      const dir = corrupted(make);
      try {
        const r = await runCli(llmScratch, generateArgs(dir));
        if (message === OK) {
          expect(r.stderr).toBe('');
          expect(r.code).toBe(0);
          expect(r.stdout.length).toBeGreaterThan(0);
        } else {
          expect(r.stderr).toMatch(message);
          expect(r.stderr).toMatch(/^llm-scratch generate: /);
          expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
          expect(r.code).toBe(1);
          expect(r.stdout).toBe('');
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      // Loading and generating with a 13 MB model takes about a second on a loaded machine.
    },
    20_000,
  );
});

// The CLI as a user runs it: a real process, with a time limit.
function run(args: string[]): Promise<{ code: number | null; stderr: string; killed: boolean }> {
  const cli = new URL('../../src/cli/llm-scratch.ts', import.meta.url).pathname;
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', cli, ...args],
      { timeout: 20_000 },
      (err, _out, stderr) => resolve({ code: child.exitCode, stderr, killed: err?.killed ?? false }),
    );
  });
}

describe('corrupted model directories, as real processes', () => {
  const picked = [
    'a header that is null',
    'the header length 2^63',
    'model.safetensors a directory',
    'model.safetensors a named pipe',
    'config null',
    'n_layer 1000000000',
  ];
  it('end in one line and exit 1, without a stack trace or a hang', async () => {
    const dirs = picked.map((name) => corrupted(cases.find(([what]) => what === name)![1]));
    const results = await Promise.all(dirs.map((dir) => run(generateArgs(dir))));
    results.forEach((r, i) => {
      expect(r.killed, picked[i]).toBe(false);
      expect(r.code, picked[i]).toBe(1);
      expect(r.stderr.trimEnd().split('\n'), picked[i]).toHaveLength(1);
      expect(r.stderr, picked[i]).not.toMatch(/\n\s+at /);
    });
  }, 60_000);
});
