// The judge's API key (section 7.8 over a server that wants one): the variable named by
// --api-key-env must exist; the key itself is never printed. A bad OLLAMA_HOST is in
// test/llm/judge-auth.test.ts (these rows cannot set the environment for one case alone).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BadInputCase } from '../case.js';

const responses = (dir: string) => {
  const entry = { instruction: 'Name a colour.', input: '', output: 'Blue.', model_response: 'Red.' };
  writeFileSync(join(dir, 'r.json'), JSON.stringify([entry]));
};

export const cases: BadInputCase[] = [
  {
    program: 'llm-scratch',
    kind: 'missing environment variable',
    args: ['judge', '--responses', 'r.json', '--api-key-env', 'LLM_SCRATCH_UNSET_JUDGE_KEY'],
    setup: responses,
    exit: 1,
    stderr:
      '--api-key-env LLM_SCRATCH_UNSET_JUDGE_KEY: the environment variable LLM_SCRATCH_UNSET_JUDGE_KEY is not set or empty',
  },
  {
    program: 'llm-scratch',
    kind: 'bad option value',
    args: ['judge', '--responses', 'r.json', '--api-key-env', 'sk-live-123'],
    setup: responses,
    exit: 2,
    stderr:
      '--api-key-env takes the name of an environment variable (letters, digits and _), not the key itself',
  },
];
