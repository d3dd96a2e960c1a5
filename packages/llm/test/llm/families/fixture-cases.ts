// h/fix's family fixtures (test/fixtures/families/<case>/: a hub-layout model directory and
// expected.json with the reference's ids, logits of every position and 8 greedy ids), for the
// families built so far.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES = 'test/fixtures/families';
// The families built here; the others' fixtures wait for their family files.
export const BUILT = ['llama3', 'qwen3', 'gemma3'];
export const CASES = readdirSync(FIXTURES).filter((c) => BUILT.some((f) => c.startsWith(`${f}-`)));

export interface Expected {
  ids: number[];
  logits: number[][];
  greedy: number[];
}

export const expected = (c: string): Expected =>
  JSON.parse(readFileSync(join(FIXTURES, c, 'expected.json'), 'utf8')) as Expected;
