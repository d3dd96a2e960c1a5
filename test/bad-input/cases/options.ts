import type { BadInputCase } from '../case.js';

export const cases: BadInputCase[] = [
  {
    program: 'llm-scratch',
    kind: 'not a number',
    args: ['generate', '--model', '{model}', '--ids', '1,2', '--max-new-tokens', 'abc'],
    exit: 2,
    stderr: "--max-new-tokens expects a number, got 'abc'",
  },
];
