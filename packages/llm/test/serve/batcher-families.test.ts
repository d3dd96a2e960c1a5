// The batch scheduler on Llama 3, Qwen3 and Gemma 3 models (FamilyDecoder): requests decoded
// together (greedy and seeded sampling, top-k and top-p, a window that slides past the context, more
// requests than the matrix-vector kernel's 8 rows) each get exactly the token ids that the library's
// generate() gives them alone, in f32 and with bf16 matrices, on every backend.
import { expect, it } from 'vitest';
import type { CausalLM } from '../../src/llm/families/family.js';
import { gemma3 } from '../../src/llm/families/gemma3.js';
import { llama3 } from '../../src/llm/families/llama3.js';
import { keepMatricesInBf16 } from '../../src/llm/families/load.js';
import { qwen3 } from '../../src/llm/families/qwen3.js';
import { generate } from '../../src/llm/generate.js';
import { Batcher } from '../../src/serve/batcher.js';
import { noGrad, Rng, Tensor } from '../../src/tensor/index.js';
import { describeEachBackend } from '../helpers/backends.js';
import { batchJobs, jobPrompt } from './jobs.js';

const VOCAB = 97;
const shape = {
  vocab_size: VOCAB,
  hidden_size: 32,
  intermediate_size: 48,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 8,
  max_position_embeddings: 40,
};
// Small random models of the three families; Gemma 3 with a local layer whose window (6) the
// longer jobs pass, and Qwen3 with its q/k norms.
const MODELS: Record<string, () => CausalLM> = {
  llama3: () =>
    llama3.create(llama3.configFromHF({ model_type: 'llama', ...shape }, 'config.json'), { rng: new Rng(3) }),
  qwen3: () =>
    qwen3.create(qwen3.configFromHF({ model_type: 'qwen3', ...shape }, 'config.json'), { rng: new Rng(4) }),
  gemma3: () =>
    gemma3.create(
      gemma3.configFromHF(
        {
          model_type: 'gemma3_text',
          ...shape,
          query_pre_attn_scalar: 8,
          sliding_window: 6,
          layer_types: ['sliding_attention', 'full_attention'],
        },
        'config.json',
      ),
      { rng: new Rng(5) },
    ),
};

const JOBS = batchJobs(VOCAB);

describeEachBackend('the batcher on the families', () => {
  for (const [family, make] of Object.entries(MODELS))
    for (const bf16 of [false, true]) {
      const dtype = bf16 ? 'bf16' : 'f32';
      it(`decodes ${family} requests together, each as it decodes alone (${dtype})`, async () => {
        const m = make().eval();
        if (bf16) keepMatricesInBf16(m);
        const solo = JOBS.map((job) => generate(m, job.prompt, job.options));
        const batcher = new Batcher(m);
        const results = await Promise.all(JOBS.map((j) => batcher.generate(j.prompt, j.options)));
        results.forEach((r, i) => expect(r.ids, `job ${i}`).toEqual(solo[i]));
        expect(batcher.peakBatch).toBe(JOBS.length);
        // Together: at most the longest job's steps (each prompt prefilled alone, then batched).
        expect(batcher.steps).toBeLessThanOrEqual(Math.max(...solo.map((ids) => ids.length)));
        expect(batcher.active).toBe(0);
      });
    }

  it('gives more than 8 sequences decoded together each the logits it gets alone', async () => {
    const m = MODELS.qwen3().eval();
    const jobs = Array.from({ length: 11 }, (_, i) => ({
      prompt: jobPrompt(VOCAB, 2 + (i % 4), 10 + i),
      maxNewTokens: 6,
    }));
    const alone = jobs.map((j) => {
      const rows: Float32Array[] = [];
      generate(m, j.prompt, { maxNewTokens: j.maxNewTokens, onLogits: (l) => rows.push(l.slice()) });
      return rows;
    });
    const batcher = new Batcher(m);
    const together = await Promise.all(
      jobs.map((j) => {
        const rows: Float32Array[] = [];
        return batcher
          .generate(j.prompt, { maxNewTokens: j.maxNewTokens, onLogits: (l) => rows.push(l.slice()) })
          .then(() => rows);
      }),
    );
    expect(batcher.peakBatch).toBe(11);
    together.forEach((rows, i) =>
      rows.forEach((l, t) => expect(Array.from(l), `job ${i} token ${t}`).toEqual(Array.from(alone[i][t]))),
    );
  });

  it('refuses rows that do not match the ids, in one line', () => {
    const m = MODELS.llama3().eval();
    const caches = [m.newCache(1), m.newCache(1)];
    expect(() =>
      noGrad(() => m.forward(new Tensor(Int32Array.from([1, 2, 3]), [3, 1]), { rows: caches })),
    ).toThrow('Llama3Model: rows needs one distinct cache per row of ids (B, 1), got 2 for ids [3, 1]');
  });
});
