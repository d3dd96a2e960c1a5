// The family registry, the released configs' parameter counts, and what every family must do
// beyond matching the reference: save -> load round trips, a KV cache (grown past its first buffer,
// through a sliding window) that gives the logits of a full recomputation, and training.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from 'llm-scratch-core/errors';
import type { CausalLM } from '../../../src/llm/families/family.js';
import { llama3, llama3ConfigFromHF } from '../../../src/llm/families/llama3.js';
import { loadModel, saveModel } from '../../../src/llm/families/load.js';
import { qwen3ConfigFromHF, Qwen3Model } from '../../../src/llm/families/qwen3.js';
import { familyFor } from '../../../src/llm/families/registry.js';
import { configReport } from '../../../src/llm/families/report.js';
import { GPTModel, presetConfig } from '../../../src/llm/gpt.js';
import { AdamW } from '../../../src/optim/index.js';
import * as T from '../../../src/tensor/index.js';
import { noGrad, Rng, Tensor } from '../../../src/tensor/index.js';
import { describeEachBackend } from '../../helpers/backends.js';

const RELEASED = 'test/fixtures/families/released-configs';
const root = mkdtempSync(join(tmpdir(), 'families-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const tinyLlama = (extra: Record<string, unknown> = {}) =>
  llama3ConfigFromHF(
    {
      model_type: 'llama',
      vocab_size: 97,
      hidden_size: 32,
      intermediate_size: 48,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      max_position_embeddings: 640,
      rope_theta: 500000,
      eos_token_id: [5, 7],
      ...extra,
    },
    'tiny-llama/config.json',
  );

const ids = (n: number, seed: number, vocab = 97) => {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => Math.floor(rng.uniform() * vocab));
};

const logitsOf = (model: CausalLM, input: number[]) =>
  noGrad(() => model.forward(new Tensor(Int32Array.from(input), [1, input.length])));

// The logits of every position computed token by token through the cache.
function cachedLogits(model: CausalLM, input: number[], chunk = 1): Float32Array {
  const cache = model.newCache(1);
  const rows: Float32Array[] = [];
  for (let at = 0; at < input.length; at += chunk) {
    const piece = input.slice(at, at + chunk);
    rows.push(
      noGrad(() => model.forward(new Tensor(Int32Array.from(piece), [1, piece.length]), { cache })).f32(),
    );
  }
  const out = new Float32Array(rows.reduce((n, r) => n + r.length, 0));
  let at = 0;
  for (const r of rows) {
    out.set(r, at);
    at += r.length;
  }
  return out;
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
};

describe('the registry', () => {
  it('picks a family by model_type, else by architectures; a config with neither is GPT-2', () => {
    expect(familyFor({ model_type: 'llama' }, 'c').name).toBe('llama3');
    expect(familyFor({ model_type: 'qwen3' }, 'c').name).toBe('qwen3');
    expect(familyFor({ architectures: ['Qwen3ForCausalLM'] }, 'c').name).toBe('qwen3');
    expect(familyFor({ model_type: 'gpt2' }, 'c').name).toBe('gpt2');
    expect(familyFor({ n_embd: 64 }, 'c').name).toBe('gpt2');
  });

  it('names the supported model types for one it does not know', () => {
    expect(() => familyFor({ model_type: 'mamba' }, 'x/config.json')).toThrow(UserError);
    expect(() => familyFor({ model_type: 'mamba' }, 'x/config.json')).toThrow(
      /^x\/config\.json: model_type "mamba" is not supported \(supported model types: gpt2, llama, qwen3/,
    );
    expect(() => familyFor({ architectures: ['MambaForCausalLM'] }, 'c')).toThrow(/architectures/);
  });
});

describe('parameter counts of the released configs, computed through the family', () => {
  const published = JSON.parse(readFileSync(join(RELEASED, 'param-counts.json'), 'utf8')) as Record<
    string,
    { computed: number; computedNonEmbedding: number }
  >;
  it('Llama-3.2-1B has 1,235,814,400 parameters', () => {
    const r = configReport(join(RELEASED, 'llama-3.2-1b.json'));
    expect(r.family).toBe('llama3');
    expect(r.parameters).toBe(1_235_814_400);
    expect(r.parametersNonEmbedding).toBe(published['llama-3.2-1b'].computedNonEmbedding);
  });

  it('Qwen3-0.6B has ~596M parameters, 0.44B without the embedding', () => {
    const r = configReport(join(RELEASED, 'qwen3-0.6b.json'));
    expect(r.parameters).toBe(published['qwen3-0.6b'].computed);
    expect(Math.round(r.parameters / 1e7) / 100).toBe(0.6);
    expect(Math.round(r.parametersNonEmbedding / 1e7) / 100).toBe(0.44);
  });

  it('the data/configs copies are the released configs', () => {
    for (const f of readdirSync('data/configs'))
      expect(readFileSync(join('data/configs', f), 'utf8')).toBe(readFileSync(join(RELEASED, f), 'utf8'));
  });

  it("reads transformers 5's rope_parameters as the older rope_theta and rope_scaling", () => {
    const scaling = {
      factor: 32,
      low_freq_factor: 1,
      high_freq_factor: 4,
      original_max_position_embeddings: 64,
    };
    const old = tinyLlama({ rope_theta: 1234, rope_scaling: { rope_type: 'llama3', ...scaling } });
    const v5 = tinyLlama({
      rope_theta: undefined,
      rope_parameters: { rope_type: 'llama3', rope_theta: 1234, ...scaling },
    });
    expect(v5).toEqual(old);
    expect(v5.ropeScaling.type).toBe('llama3');
  });

  it('a model counts the same as its config', () => {
    const c = tinyLlama({ tie_word_embeddings: false });
    expect(llama3.create(c).numParameters()).toBe(llama3.parameterCount(c).total);
    const tied = tinyLlama({ tie_word_embeddings: true });
    expect(llama3.create(tied).numParameters()).toBe(llama3.parameterCount(tied).total);
  });
});

describeEachBackend('families', () => {
  it('save -> load gives the same logits, single file and shards, tied and untied', () => {
    for (const [name, config, maxShardBytes] of [
      ['llama-untied-single', tinyLlama({ tie_word_embeddings: false }), undefined],
      ['llama-tied-sharded', tinyLlama({ tie_word_embeddings: true }), 20_000],
    ] as const) {
      const model = llama3.create(config, { rng: new Rng(3) });
      const dir = join(root, name);
      saveModel(dir, model, { maxShardBytes });
      const files = readdirSync(dir);
      expect(files.includes('model.safetensors.index.json')).toBe(maxShardBytes !== undefined);
      const input = ids(12, 1);
      const back = loadModel(dir);
      expect(back.family).toBe('llama3');
      expect(back.eosTokenIds).toEqual([5, 7]);
      expect(Array.from(logitsOf(back, input).data)).toEqual(Array.from(logitsOf(model, input).data));
      // config.json as transformers reads it.
      const hf = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
      expect(hf.model_type).toBe('llama');
      expect(hf.tie_word_embeddings).toBe(config.tieWeights);
    }
  });

  it('GPT-2 is a family too: saved in shards and loaded back through the same interface', () => {
    const model = new GPTModel(
      { ...presetConfig('gpt2-tiny'), vocabSize: 97, dropRate: 0, qkvBias: true },
      {
        rng: new Rng(8),
      },
    ).eval();
    const dir = join(root, 'gpt2-sharded');
    saveModel(dir, model, { maxShardBytes: 30_000 });
    expect(readdirSync(dir)).toContain('model.safetensors.index.json');
    const back = loadModel(dir);
    expect(back).toBeInstanceOf(GPTModel);
    expect(back.eosTokenIds).toEqual([50256]);
    const input = ids(10, 9);
    expect(Array.from(logitsOf(back, input).data)).toEqual(Array.from(logitsOf(model, input).data));
  });

  it('the grouped-query KV cache grows past its first buffer and matches a full recomputation', () => {
    const model = llama3.create(tinyLlama(), { rng: new Rng(4) }).eval();
    const input = ids(300, 2);
    const full = logitsOf(model, input).f32();
    expect(maxDiff(cachedLogits(model, input, 37), full)).toBeLessThan(1e-4);
  });

  it('a sliding-window layer sees only its window, through the cache as without it', () => {
    const config = qwen3ConfigFromHF(
      {
        model_type: 'qwen3',
        vocab_size: 97,
        hidden_size: 32,
        intermediate_size: 48,
        num_hidden_layers: 2,
        num_attention_heads: 4,
        num_key_value_heads: 1,
        head_dim: 8,
        max_position_embeddings: 64,
        sliding_window: 5,
        layer_types: ['sliding_attention', 'full_attention'],
      },
      'c',
    );
    const model = new Qwen3Model(config, { rng: new Rng(5) }).eval();
    const input = ids(20, 3);
    const full = logitsOf(model, input).f32();
    expect(maxDiff(cachedLogits(model, input, 3), full)).toBeLessThan(1e-4);
    // The window matters: the same model without it gives other logits.
    const wide = new Qwen3Model({ ...config, layerWindows: [null, null] }, { rng: new Rng(5) }).eval();
    expect(maxDiff(logitsOf(wide, input).f32(), full)).toBeGreaterThan(1e-3);
    // And within the window the two agree (the first 5 positions see all they would anyway).
    expect(maxDiff(logitsOf(wide, input.slice(0, 5)).f32(), full.subarray(0, 5 * 97))).toBeLessThan(1e-5);
  });

  it('trains: a few AdamW steps on a tiny Llama lower the loss', () => {
    const model = llama3.create(tinyLlama({ tie_word_embeddings: false }), { rng: new Rng(6) });
    const optimizer = new AdamW(model.parameters(), { lr: 1e-2, weightDecay: 0 });
    const seq = ids(33, 7);
    const x = new Tensor(Int32Array.from(seq.slice(0, 32)), [1, 32]);
    const y = new Tensor(Int32Array.from(seq.slice(1)), [1, 32]);
    const losses: number[] = [];
    for (let step = 0; step < 8; step++) {
      optimizer.zeroGrad();
      const loss = T.crossEntropy(model.forward(x), y);
      loss.backward();
      for (const p of model.parameters()) expect(p.grad, 'every parameter gets a gradient').not.toBeNull();
      optimizer.step();
      losses.push(loss.item());
    }
    expect(losses[7]).toBeLessThan(losses[0] * 0.7);
  });
});
