import type { BadInputCase } from '../case.js';

// bench generate, the --dtype option of the decode path and serve's --max-batch (issue 22).
export const cases: BadInputCase[] = [
  {
    program: 'llm-scratch',
    kind: 'unknown choice',
    args: ['bench', 'generate', '--config', 'gpt2-tiny', '--dtype', 'f16'],
    exit: 2,
    stderr: "--dtype must be one of f32, bf16, got 'f16'",
  },
  {
    program: 'llm-scratch',
    kind: 'too long for the model',
    args: ['bench', 'generate', '--model', '{model}', '--prompt-tokens', '60', '--tokens', '10'],
    exit: 1,
    stderr: "exceed the model's context length",
  },
  {
    program: 'llm-scratch',
    kind: 'conflicting options',
    args: ['generate', '--model', '{model}', '--ids', '1,2', '--dtype', 'bf16', '--no-kv-cache'],
    exit: 2,
    stderr: '--dtype bf16 decodes GPT-2 with the KV cache',
  },
  {
    program: 'llm-scratch',
    kind: 'unknown choice',
    args: ['serve', '--model', '{model}', '--dtype', 'f8'],
    exit: 2,
    stderr: "--dtype must be one of f32, bf16, got 'f8'",
  },
  {
    program: 'llm-scratch',
    kind: 'negative number',
    args: ['serve', '--model', '{model}', '--max-batch', '0'],
    exit: 2,
    stderr: '--max-batch must be at least 1, got 0',
  },
];
