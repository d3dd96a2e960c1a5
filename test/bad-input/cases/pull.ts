// llm-scratch pull (issue 23): what is wrong before the hub is asked, so no row needs a network.
// The rows that need a hub (gated, missing, corrupted, unreachable) run against the stand-in hub
// in test/cli/pull.test.ts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BadInputCase } from '../case.js';

const pull = (
  kind: string,
  args: string[],
  exit: 1 | 2,
  stderr: string,
  setup?: (dir: string) => void,
): BadInputCase => ({ program: 'llm-scratch', kind, args: ['pull', ...args], exit, stderr, setup });

const file = (name: string) => (dir: string) => writeFileSync(join(dir, name), 'not a directory\n');

export const cases: BadInputCase[] = [
  pull('missing required option', [], 2, 'give the repository to pull, e.g. Qwen/Qwen3-0.6B'),
  pull(
    'malformed repository id',
    ['Qwen/Qwen3 0.6B'],
    2,
    "REPO 'Qwen/Qwen3 0.6B' is not a Hugging Face repository id (OWNER/NAME): a part holds a character",
  ),
  pull(
    'malformed repository id',
    ['https://huggingface.co/Qwen/Qwen3-0.6B'],
    2,
    'give the repository id (OWNER/NAME), not its web address',
  ),
  pull(
    'malformed repository id',
    ['Qwen/Qwen3-0.6B', 'google/gemma-3-270m'],
    2,
    'one repository at a time, got 2',
  ),
  pull(
    'output path',
    ['Qwen/Qwen3-0.6B', '--out', 'text.txt'],
    1,
    '--out text.txt: a file, not a directory',
    file('text.txt'),
  ),
  pull(
    'output path',
    ['Qwen/Qwen3-0.6B'],
    1,
    '--out Qwen3-0.6B: a file, not a directory',
    file('Qwen3-0.6B'),
  ),
];
