// serve's options for the OpenAI API (issue 24): --cors, and the hub directories of other families
// that serve now loads (with their tokenizer, in f32 or with --dtype bf16).
import { cpSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BadInputCase } from '../case.js';

const FIXTURES = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'packages',
  'llm',
  'test',
  'fixtures',
  'families',
);

// A Llama 3 fixture at {dir}/llama: weights and config.json, no tokenizer files.
const llama = (dir: string) => cpSync(join(FIXTURES, 'llama3-f32'), join(dir, 'llama'), { recursive: true });

export const cases: BadInputCase[] = [
  {
    program: 'llm-scratch',
    kind: 'not an origin',
    args: ['serve', '--model', '{model}', '--cors', 'localhost:5173'],
    exit: 2,
    stderr: "--cors: 'localhost:5173' is not an origin",
  },
  {
    program: 'llm-scratch',
    kind: 'not an origin',
    args: ['serve', '--model', '{model}', '--cors', 'http://localhost:5173/'],
    exit: 2,
    stderr: 'without a path or trailing slash',
  },
  {
    program: 'llm-scratch',
    kind: 'missing file',
    args: ['serve', '--model', '{dir}/llama'],
    setup: llama,
    exit: 1,
    stderr: 'no tokenizer files: expected tokenizer.json',
  },
];
