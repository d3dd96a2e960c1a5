import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BadInputCase } from '../case.js';

// 'café' in Latin-1: the 0xe9 at offset 3 is not UTF-8.
const latin1 = (dir: string, name: string) =>
  writeFileSync(
    join(dir, name),
    Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x61, 0x75, 0x20, 0x6c, 0x61, 0x69, 0x74, 0x0a]),
  );

export const cases: BadInputCase[] = [
  {
    program: 'llm-scratch',
    kind: 'empty corpus',
    args: ['bpe-train', '--input', '{dir}/empty.txt', '--vocab-size', '300', '--out', '{dir}/vocab'],
    setup: (dir) => writeFileSync(join(dir, 'empty.txt'), ''),
    exit: 1,
    stderr: '/empty.txt: empty, no text to learn merges from',
  },
  {
    program: 'llm-scratch',
    kind: 'bytes that are not UTF-8',
    args: ['tokenize', '--file', '{dir}/menu.txt'],
    setup: (dir) => latin1(dir, 'menu.txt'),
    exit: 0,
    stderr: /^warning: .*\/menu\.txt: not valid UTF-8 \(byte 0xe9 at offset 3\); bad bytes read as U\+FFFD$/m,
  },
  {
    program: 'llm-scratch',
    kind: 'bytes that are not UTF-8',
    args: ['bpe-train', '--input', '{dir}/menu.txt', '--vocab-size', '260', '--out', '{dir}/vocab'],
    setup: (dir) => latin1(dir, 'menu.txt'),
    exit: 0,
    stderr: 'menu.txt: not valid UTF-8 (byte 0xe9 at offset 3)',
  },
  {
    program: 'llm-scratch',
    kind: 'prompt longer than the context',
    args: [
      'generate',
      '--model',
      '{model}',
      '--prompt',
      Array(70).fill('go').join(' '),
      '--max-new-tokens',
      '1',
    ],
    exit: 0,
    stderr:
      "warning: the prompt has 70 tokens, more than the model's context of 64: its first 6 were cropped",
  },
];
