// Model directories of the Llama 3 / Qwen3 families gone wrong (made from h/fix's fixtures): a
// missing shard, an index that does not cover its shards, a tensor of the wrong shape, a model_type
// no family reads, a chat without a template, and an infinity in a bf16 checkpoint.
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BadInputCase } from '../case.js';

const FIXTURES = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../../packages/llm/test/fixtures/families',
);

// Copies a fixture to {dir}/fam and applies `change` to it.
const fixture =
  (name: string, change: (model: string) => void = () => {}) =>
  (dir: string) => {
    const model = join(dir, 'fam');
    cpSync(join(FIXTURES, name), model, { recursive: true });
    change(model);
  };

function editJson(file: string, edit: (json: Record<string, unknown>) => void): void {
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(json);
  writeFileSync(file, JSON.stringify(json));
}

const logits = ['logits', '--model', '{dir}/fam', '--ids', '1,2', '--json'];
const generate = ['generate', '--model', '{dir}/fam', '--ids', '1,2', '--max-new-tokens', '2', '--json'];

export const cases: BadInputCase[] = [
  {
    program: 'llm-scratch',
    kind: 'missing file',
    args: logits,
    setup: fixture('llama3-bf16-sharded', (m) => rmSync(join(m, 'model-00002-of-00002.safetensors'))),
    exit: 1,
    stderr: "shard 'model-00002-of-00002.safetensors' named in model.safetensors.index.json is missing",
  },
  {
    program: 'llm-scratch',
    kind: 'missing file',
    args: ['info', '--model', '{dir}/fam'],
    setup: fixture('qwen3-untied-bf16-sharded', (m) => rmSync(join(m, 'model-00001-of-00002.safetensors'))),
    exit: 1,
    stderr: "shard 'model-00001-of-00002.safetensors' named in model.safetensors.index.json is missing",
  },
  {
    program: 'llm-scratch',
    kind: 'corrupted weights',
    args: generate,
    setup: fixture('qwen3-untied-bf16-sharded', (m) =>
      editJson(join(m, 'model.safetensors.index.json'), (index) => {
        delete (index.weight_map as Record<string, string>)['model.norm.weight'];
      }),
    ),
    exit: 1,
    stderr:
      /tensor 'model\.norm\.weight' of shard 'model-0000\d-of-00002\.safetensors' is not in the weight_map/,
  },
  {
    program: 'llm-scratch',
    kind: 'bad config',
    args: logits,
    setup: fixture('llama3-f32', (m) => editJson(join(m, 'config.json'), (c) => (c.intermediate_size = 96))),
    exit: 1,
    stderr: "tensor 'model.layers.0.mlp.gate_proj.weight' has shape [128, 64], expected [96, 64]",
  },
  {
    program: 'llm-scratch',
    kind: 'bad config',
    args: generate,
    setup: fixture('qwen3-f32', (m) => editJson(join(m, 'config.json'), (c) => (c.model_type = 'mamba'))),
    exit: 1,
    stderr: 'model_type "mamba" is not supported (supported model types: gpt2, llama, qwen3',
  },
  {
    program: 'llm-scratch',
    kind: 'bad config',
    args: ['info', '--config', '{dir}/fam/config.json'],
    setup: fixture('llama3-f32', (m) => editJson(join(m, 'config.json'), (c) => (c.num_key_value_heads = 3))),
    exit: 1,
    stderr: 'num_attention_heads 4 must be a multiple of num_key_value_heads 3',
  },
  {
    program: 'llm-scratch',
    kind: 'bad config',
    args: ['serve', '--model', '{dir}/fam'],
    setup: fixture('llama3-f32', (m) => editJson(join(m, 'config.json'), (c) => (c.model_type = 'mistral'))),
    exit: 1,
    stderr: 'model_type "mistral" is not supported',
  },
  {
    program: 'llm-scratch',
    kind: 'not the expected format',
    args: ['chat', '--model', '{dir}/fam'],
    setup: fixture('llama3-f32'),
    exit: 1,
    stderr:
      "no chat template (tokenizer_config.json's chat_template or chat_template.jinja): a base llama3 model continues text; use generate --prompt",
  },
  {
    program: 'llm-scratch',
    kind: 'corrupted weights',
    // A bf16 checkpoint is read as bf16 (generate's default for it): an infinity among the bits.
    args: generate,
    setup: fixture('llama3-bf16-sharded', (m) => {
      const file = join(m, 'model-00001-of-00002.safetensors');
      const bytes = readFileSync(file);
      const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString()) as Record<
        string,
        { shape?: number[]; data_offsets?: number[] }
      >;
      const matrix = Object.values(header).find((t) => t.shape?.length === 2)!;
      bytes.writeUInt16LE(0x7f80, 8 + Number(bytes.readBigUInt64LE(0)) + matrix.data_offsets![0] + 2 * 3);
      writeFileSync(file, bytes);
    }),
    exit: 1,
    stderr:
      /model-00001-of-00002\.safetensors: tensor '[^']+' holds Infinity at element 3 \(corrupted data\?\)/,
  },
];
