// Every family fixture (h/fix's PyTorch reference on small random models in the exact hub layout:
// f32 single file, bf16 shards, tied and untied heads, llama3 RoPE scaling) against our model on
// each backend: the logits of every position within 1e-3, and greedy generation with the KV cache
// giving the reference's ids.
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { loadModel } from '../../../src/llm/families/load.js';
import { generate } from '../../../src/llm/generate.js';
import { noGrad, Tensor } from '../../../src/tensor/index.js';
import { describeEachBackend } from '../../helpers/backends.js';
import { BUILT, CASES, expected, FIXTURES } from './fixture-cases.js';

function maxDiff(actual: ArrayLike<number>, wanted: number[][]): number {
  let worst = 0;
  wanted.flat().forEach((v, i) => (worst = Math.max(worst, Math.abs(actual[i] - v))));
  return worst;
}

describeEachBackend('family fixtures', () => {
  it('covers every family built here', () => {
    for (const f of BUILT) expect(CASES.some((c) => c.startsWith(f))).toBe(true);
  });

  for (const c of CASES) {
    it(`${c}: logits of every position within 1e-3, greedy ids equal`, () => {
      const want = expected(c);
      const model = loadModel(join(FIXTURES, c)).eval();
      const ids = new Tensor(Int32Array.from(want.ids), [1, want.ids.length]);
      const logits = noGrad(() => model.forward(ids));
      expect(logits.shape).toEqual([1, want.ids.length, want.logits[0].length]);
      expect(maxDiff(logits.data, want.logits)).toBeLessThan(1e-3);
      const greedy = generate(model, want.ids, { maxNewTokens: want.greedy.length, temperature: 0 });
      expect(greedy).toEqual(want.greedy);
      // Recomputing the whole context for each token gives the same ids as the KV cache.
      expect(generate(model, want.ids, { maxNewTokens: 4, kvCache: false })).toEqual(want.greedy.slice(0, 4));
    });
  }
});
