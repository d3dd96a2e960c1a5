import type { BadInputCase } from '../case.js';

export const cases: BadInputCase[] = [
  {
    program: 'llm-scratch',
    kind: 'missing file',
    args: ['generate', '--model', '{dir}/nope', '--ids', '1,2'],
    exit: 1,
    stderr: '/nope: not a model directory',
  },
];
