// Corrupted model files, bad configs and things that are not files where a model directory's files
// should be. test/io/corrupt-model.test.ts runs a hundred such directories; these rows are the
// table's sample of them, one per command and kind.
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BadInputCase } from '../case.js';

const model = (dir: string, file: string) => join(dir, 'model', file);

function editConfig(dir: string, change: Record<string, unknown>): void {
  const path = model(dir, 'config.json');
  writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), ...change }));
}

// The weights with `edit` applied to the header (the length rewritten to fit).
function editHeader(dir: string, edit: (h: Record<string, Record<string, unknown>>) => void): void {
  const path = model(dir, 'model.safetensors');
  const bytes = readFileSync(path);
  const length = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8'));
  edit(header);
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(path, Buffer.concat([prefix, json, bytes.subarray(8 + length)]));
}

const generate = ['generate', '--model', '{model}', '--ids', '1,2', '--max-new-tokens', '2'];

export const cases: BadInputCase[] = [
  {
    program: 'llm-scratch',
    kind: 'corrupted weights',
    args: generate,
    setup: (dir) => writeFileSync(model(dir, 'model.safetensors'), Buffer.from([0]), { flag: 'a' }),
    exit: 1,
    stderr: 'not a valid safetensors file: 1 bytes after the last tensor',
  },
  {
    program: 'llm-scratch',
    kind: 'corrupted weights',
    args: ['logits', '--model', '{model}', '--ids', '1,2'],
    setup: (dir) => {
      const path = model(dir, 'model.safetensors');
      const bytes = readFileSync(path);
      bytes[7] ^= 0x80;
      writeFileSync(path, bytes);
    },
    exit: 1,
    stderr: /header length 92233720368547\d+ exceeds 100000000 bytes/,
  },
  {
    program: 'llm-scratch',
    kind: 'corrupted weights',
    args: generate,
    setup: (dir) => editHeader(dir, (h) => void (h['wte.weight'].dtype = 'I32')),
    exit: 1,
    stderr: "tensor 'wte.weight' is I32; the model takes F32, F16, BF16",
  },
  {
    program: 'llm-scratch',
    kind: 'corrupted weights',
    args: generate,
    setup: (dir) => editHeader(dir, (h) => void (h['wte.weight'].shape = [64, 50257])),
    exit: 1,
    stderr: "tensor 'wte.weight' has shape [64, 50257], expected [50257, 64]",
  },
  {
    program: 'llm-scratch',
    kind: 'empty file',
    args: generate,
    setup: (dir) => writeFileSync(model(dir, 'model.safetensors'), ''),
    exit: 1,
    stderr: 'model.safetensors: not a valid safetensors file: the file is empty',
  },
  {
    program: 'llm-scratch',
    kind: 'bad config',
    args: generate,
    setup: (dir) => writeFileSync(model(dir, 'config.json'), 'null'),
    exit: 1,
    stderr: 'config.json: expected a JSON object, got null',
  },
  {
    program: 'llm-scratch',
    kind: 'bad config',
    args: generate,
    setup: (dir) => editConfig(dir, { n_layer: 1_000_000_000 }),
    exit: 1,
    stderr: "'n_layer' is 1000000000, above the limit of 1024",
  },
  {
    program: 'llm-scratch',
    kind: 'bad config',
    args: ['logits', '--model', '{model}', '--ids', '1,2'],
    setup: (dir) => editConfig(dir, { n_head: 3 }),
    exit: 1,
    stderr: "'n_embd' 64 is not divisible by 'n_head' 3",
  },
  {
    program: 'llm-scratch',
    kind: 'missing tensor',
    args: generate,
    // Named as save_pretrained names them (transformer. prefix); the message names the file's name.
    setup: (dir) =>
      editHeader(dir, (h) => {
        for (const k of Object.keys(h)) {
          if (k === '__metadata__') continue;
          h[k === 'h.1.mlp.c_fc.bias' ? 'transformer.h.1.mlp.c_fc.b' : `transformer.${k}`] = h[k];
          delete h[k];
        }
      }),
    exit: 1,
    stderr:
      "missing tensor 'transformer.h.1.mlp.c_fc.bias'; unexpected tensors: 'transformer.h.1.mlp.c_fc.b'",
  },
  {
    program: 'llm-scratch',
    kind: 'bad config',
    args: generate,
    setup: (dir) => editConfig(dir, { n_embd: '64' }),
    exit: 1,
    stderr: `'n_embd' must be a positive integer, got the string "64"`,
  },
  {
    program: 'llm-scratch',
    kind: 'bad config',
    args: generate,
    setup: (dir) => editConfig(dir, { tie_word_embeddings: false }),
    exit: 1,
    stderr: "no 'lm_head.weight', but config.json says tie_word_embeddings: false",
  },
  {
    program: 'llm-scratch',
    kind: 'bad config',
    args: ['classify', '--model', '{model}', 'hello'],
    setup: (dir) => writeFileSync(model(dir, 'config.json'), '[]'),
    exit: 1,
    stderr: 'config.json: expected a JSON object, got an array',
  },
  {
    program: 'llm-scratch',
    kind: 'directory instead of a file',
    args: generate,
    setup: (dir) => {
      rmSync(model(dir, 'model.safetensors'));
      mkdirSync(model(dir, 'model.safetensors'));
    },
    exit: 1,
    stderr: 'model.safetensors: is a directory, not a file',
  },
  {
    program: 'llm-scratch',
    kind: 'directory instead of a file',
    args: ['logits', '--model', '{model}', '--ids', '1,2'],
    setup: (dir) => {
      rmSync(model(dir, 'config.json'));
      mkdirSync(model(dir, 'config.json'));
    },
    exit: 1,
    stderr: 'config.json: is a directory, not a file',
  },
  {
    program: 'llm-scratch',
    kind: 'dangling symlink',
    args: generate,
    setup: (dir) => {
      rmSync(model(dir, 'model.safetensors'));
      symlinkSync(join(dir, 'gone.safetensors'), model(dir, 'model.safetensors'));
    },
    exit: 1,
    stderr: 'model.safetensors: a symbolic link to a missing file',
  },
  {
    program: 'llm-scratch',
    kind: 'missing file',
    args: generate,
    setup: (dir) => {
      rmSync(model(dir, 'model.safetensors'));
      writeFileSync(model(dir, 'model.safetensors.index.json'), '{"weight_map": {}}');
    },
    exit: 1,
    stderr: 'model.safetensors.index.json: the weight_map is empty',
  },
];
