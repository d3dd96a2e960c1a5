// The batch scheduler on its own: requests decoded together (arriving at once or joining a running
// batch, greedy and seeded sampling, top-k and top-p, an end token, a window that slides past the
// context, a client that leaves, a request that fails) each get exactly the token ids that the
// library's generate() gives them alone, in f32 and bf16, on every backend.
import { expect, it } from 'vitest';
import { keepWeightsInBf16 } from '../../src/llm/decoder.js';
import { generate } from '../../src/llm/generate.js';
import { GPTModel, type GPTConfig } from '../../src/llm/gpt.js';
import { Batcher, type SequenceResult } from '../../src/serve/batcher.js';
import { Rng } from '../../src/tensor/index.js';
import { describeEachBackend } from '../helpers/backends.js';
import { batchJobs, type Job, jobPrompt } from './jobs.js';

// Small enough to be quick, big enough for the prefill's GEMM path (prompts over 8 tokens) and for
// windows that slide (context 40).
const CONFIG: GPTConfig = {
  vocabSize: 300,
  contextLength: 40,
  embDim: 32,
  nHeads: 4,
  nLayers: 2,
  dropRate: 0,
  qkvBias: true,
  tieWeights: false,
};

function model(bf16 = false): GPTModel {
  const m = new GPTModel(CONFIG, { rng: new Rng(7) }).eval();
  if (bf16) keepWeightsInBf16(m);
  return m;
}

const prompt = (length: number, from: number) => jobPrompt(300, length, from);
const JOBS = batchJobs(300);

// What generate() gives the job alone.
function alone(m: GPTModel, job: Job): number[] {
  return generate(m, job.prompt, job.options);
}

describeEachBackend('the batcher', () => {
  for (const bf16 of [false, true]) {
    const dtype = bf16 ? 'bf16' : 'f32';

    it(`decodes requests that arrive together in one batch, each as it decodes alone (${dtype})`, async () => {
      const m = model(bf16);
      const solo = JOBS.map((job) => alone(m, job));
      // An end token that comes mid-way: the 6th token of the first job's solo run.
      const eosJob: Job = { prompt: JOBS[0].prompt, options: { maxNewTokens: 20, eosIds: [solo[0][5]] } };
      const soloEos = alone(m, eosJob);
      expect(soloEos.length).toBeLessThanOrEqual(6);
      const batcher = new Batcher(m);
      // Twice: the second round reuses the caches the first one released.
      for (let round = 0; round < 2; round++) {
        const results = await Promise.all(
          [...JOBS, eosJob].map((j) => batcher.generate(j.prompt, j.options)),
        );
        results.slice(0, JOBS.length).forEach((r, i) => {
          expect(r.ids, `job ${i}`).toEqual(solo[i]);
          expect(r.finishReason).toBe('length');
        });
        expect(results[JOBS.length]).toEqual({ ids: soloEos, finishReason: 'stop' });
      }
      expect(batcher.active).toBe(0);
      expect(batcher.peakBatch).toBe(JOBS.length + 1);
      // One request after the other would take the sum of their batched steps; together, at most
      // the longest one's.
      const longest = Math.max(...solo.map((ids) => ids.length));
      expect(batcher.steps).toBeLessThanOrEqual(2 * longest);
      expect(batcher.prefills).toBeGreaterThanOrEqual(2 * (JOBS.length + 1));
    });
  }

  it('lets a request that arrives while another decodes join the running batch', async () => {
    const m = model();
    const first: Job = { prompt: prompt(4, 8), options: { maxNewTokens: 30 } };
    const second: Job = { prompt: prompt(11, 9), options: { maxNewTokens: 8, temperature: 1, seed: 5 } };
    const batcher = new Batcher(m);
    const finished: string[] = [];
    let joining: Promise<SequenceResult> | undefined;
    let seen = 0;
    const firstDone = batcher
      .generate(first.prompt, {
        ...first.options,
        // The second request comes when the first has made 5 tokens.
        onToken: () => {
          if (++seen === 5)
            joining = batcher.generate(second.prompt, second.options).then((r) => {
              finished.push('second');
              return r;
            });
        },
      })
      .then((r) => {
        finished.push('first');
        return r;
      });
    const a = await firstDone;
    const b = await joining!;
    expect(a.ids).toEqual(alone(m, first));
    expect(b.ids).toEqual(alone(m, second));
    expect(finished).toEqual(['second', 'first']);
    // The first request's 30 batched steps (its 8-token prompt, gemv-prefilled, is the first of
    // them) carried the second one's 7 after its prefill alone (9 tokens take the GEMM): it joined,
    // it did not wait.
    expect([batcher.steps, batcher.prefills, batcher.peakBatch]).toEqual([30, 2, 2]);
  });

  it('lets a client leave mid-way and fails a bad request alone; the others are unchanged', async () => {
    const m = model();
    const batcher = new Batcher(m);
    const leaving = new AbortController();
    let made = 0;
    const leaver = batcher.generate(JOBS[1].prompt, {
      ...JOBS[1].options,
      signal: leaving.signal,
      onToken: () => {
        if (++made === 4) leaving.abort();
      },
    });
    const bad = batcher.generate([1, 2, 300], { maxNewTokens: 5 });
    const others = [0, 2, 3].map((i) => batcher.generate(JOBS[i].prompt, JOBS[i].options));
    await expect(bad).rejects.toThrow('token id 300 is outside the vocabulary of 300');
    expect(await leaver).toEqual({ ids: alone(m, JOBS[1]).slice(0, 4), finishReason: 'aborted' });
    const results = await Promise.all(others);
    [0, 2, 3].forEach((j, i) => expect(results[i].ids).toEqual(alone(m, JOBS[j])));
    expect(batcher.active).toBe(0);
    await expect(batcher.generate([], { maxNewTokens: 3 })).rejects.toThrow('at least one token');
  });
});
