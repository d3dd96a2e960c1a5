// Gemma 3 model directories gone wrong (made from h/fix's gemma3-f32 fixture): a layer_types list
// that does not match the layers, an embedding model's bidirectional config, an activation Gemma 3
// does not use, and the multimodal gemma3 config, whose text model is read only as gemma3_text.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BadInputCase } from '../case.js';

const FIXTURE = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../../packages/llm/test/fixtures/families/gemma3-f32',
);

// Copies the fixture to {dir}/gemma with its config.json edited.
const editedConfig = (edit: (json: Record<string, unknown>) => void) => (dir: string) => {
  const model = join(dir, 'gemma');
  cpSync(FIXTURE, model, { recursive: true });
  const file = join(model, 'config.json');
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(json);
  writeFileSync(file, JSON.stringify(json));
};

export const cases: BadInputCase[] = [
  {
    program: 'llm-scratch',
    kind: 'bad config',
    args: ['logits', '--model', '{dir}/gemma', '--ids', '1,2', '--json'],
    setup: editedConfig((c) => (c.layer_types = ['sliding_attention', 'full_attention'])),
    exit: 1,
    stderr: `'layer_types' must list 3 of "sliding_attention", "full_attention"`,
  },
  {
    program: 'llm-scratch',
    kind: 'bad config',
    args: ['generate', '--model', '{dir}/gemma', '--ids', '1,2', '--max-new-tokens', '2', '--json'],
    setup: editedConfig((c) => (c.use_bidirectional_attention = true)),
    exit: 1,
    stderr:
      "'use_bidirectional_attention' true is an embedding model (EmbeddingGemma), not a causal language model",
  },
  {
    program: 'llm-scratch',
    kind: 'bad config',
    args: ['info', '--config', '{dir}/gemma/config.json'],
    setup: editedConfig((c) => (c.hidden_activation = 'silu')),
    exit: 1,
    stderr: `'hidden_activation' must be one of "gelu_pytorch_tanh", got the string "silu"`,
  },
  {
    program: 'llm-scratch',
    kind: 'bad config',
    args: ['info', '--config', '{dir}/gemma/config.json'],
    setup: editedConfig((c) => {
      c.model_type = 'gemma3';
      c.architectures = ['Gemma3ForConditionalGeneration'];
    }),
    exit: 1,
    stderr: /model_type "gemma3" is not supported \(supported model types: .*gemma3_text/,
  },
];
