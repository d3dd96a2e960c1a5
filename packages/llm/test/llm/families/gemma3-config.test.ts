// Gemma 3's config.json (layer_types or the older sliding_window_pattern, transformers 5's
// rope_parameters, defaults, one-line errors), its parameter count against the published one, the
// save -> load round trip in the hub layout, and a few training steps through every piece.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { llmScratch } from '../../../src/cli/llm-scratch.js';
import { UserError } from 'llm-scratch-core/errors';
import { SHARD_INDEX } from '../../../src/io/hub-weights.js';
import { gemma3, gemma3ConfigFromHF, gemma3ConfigToHF } from '../../../src/llm/families/gemma3.js';
import { loadModel, readFamilyConfig, saveModel } from '../../../src/llm/families/load.js';
import { familyFor } from '../../../src/llm/families/registry.js';
import { RotaryEmbedding } from '../../../src/llm/families/rope.js';
import { AdamW } from '../../../src/optim/index.js';
import * as T from '../../../src/tensor/index.js';
import { noGrad, Rng, Tensor } from '../../../src/tensor/index.js';
import { runCli } from '../../../../../test/helpers/cli.js';
import { gradCheck } from '../../helpers/gradcheck.js';
import { tinyGemma } from './gemma3-tiny.js';

const scratch: string[] = [];
afterAll(() => scratch.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'gemma3-'));
  scratch.push(d);
  return d;
};

const released = JSON.parse(
  readFileSync('test/fixtures/families/released-configs/gemma-3-270m.json', 'utf8'),
) as Record<string, unknown>;

describe('Gemma 3 config', () => {
  it('the registry picks gemma3 by model_type, and by architectures without one', () => {
    expect(familyFor(released, 'config.json').name).toBe('gemma3');
    expect(familyFor({ architectures: ['Gemma3ForCausalLM'] }, 'config.json').name).toBe('gemma3');
  });

  it('reads Gemma-3-270m: 15 local layers of window 512 with base 10,000, 3 global with 1,000,000', () => {
    const c = gemma3ConfigFromHF(released, 'config.json');
    expect(c.layerTypes.filter((t) => t === 'full_attention')).toHaveLength(3);
    expect(c.layerTypes[5]).toBe('full_attention');
    expect([c.slidingWindow, c.ropeLocalTheta, c.ropeTheta]).toEqual([512, 10_000, 1_000_000]);
    expect([c.queryPreAttnScalar, c.headDim, c.nKVHeads, c.tieWeights]).toEqual([256, 256, 1, true]);
    expect(c.eosTokenIds).toEqual([1]);
  });

  it('counts 268,098,176 parameters in Gemma-3-270m, 100,326,016 outside the embedding (published)', () => {
    const counts = JSON.parse(
      readFileSync('test/fixtures/families/released-configs/param-counts.json', 'utf8'),
    ) as Record<string, { computed: number; computedNonEmbedding: number; published: number }>;
    const count = gemma3.parameterCount(gemma3ConfigFromHF(released, 'config.json'));
    expect(count.total).toBe(268_098_176);
    expect(count.total).toBe(counts['gemma-3-270m'].published);
    expect(count.nonEmbedding).toBe(counts['gemma-3-270m'].computedNonEmbedding);
  });

  it('info --config gemma-3-270m prints 268,098,176 (the released config shipped in data/configs)', async () => {
    const r = await runCli(llmScratch, ['info', '--config', 'gemma-3-270m']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('gemma-3-270m: gemma3 (model_type gemma3_text)');
    expect(r.stdout).toMatch(/parameters: +268,098,176 \(output head tied to the embedding\)/);
    const json = await runCli(llmScratch, ['info', '--config', 'gemma-3-270m', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ family: 'gemma3', parameters: 268_098_176 });
  });

  it('a model has as many parameters as its config counts, tied or not', () => {
    for (const tie_word_embeddings of [true, false]) {
      const model = tinyGemma({ tie_word_embeddings, attention_bias: true });
      expect(model.numParameters()).toBe(gemma3.parameterCount(model.config).total);
    }
  });

  it('an older config without layer_types places a global layer every sliding_window_pattern-th', () => {
    const { layer_types: _, ...old } = released;
    const c = gemma3ConfigFromHF({ ...old, sliding_window_pattern: 3, num_hidden_layers: 7 }, 'config.json');
    expect(c.layerTypes.map((t) => (t === 'full_attention' ? 'G' : 'L')).join('')).toBe('LLGLLGL');
  });

  it("reads transformers 5's rope_parameters per layer type", () => {
    const c = gemma3ConfigFromHF(
      {
        ...released,
        rope_theta: undefined,
        rope_local_base_freq: undefined,
        rope_parameters: {
          full_attention: { rope_type: 'linear', factor: 8, rope_theta: 1_000_000 },
          sliding_attention: { rope_type: 'default', rope_theta: 10_000 },
        },
      },
      'config.json',
    );
    expect([c.ropeTheta, c.ropeLocalTheta]).toEqual([1_000_000, 10_000]);
    expect(c.ropeScaling).toEqual({ type: 'linear', factor: 8 });
  });

  it('writes config.json back as it reads it', () => {
    const c = gemma3ConfigFromHF(
      { ...released, final_logit_softcapping: 30, attn_logit_softcapping: 50 },
      'x',
    );
    expect(gemma3ConfigFromHF(gemma3ConfigToHF(c), 'x')).toEqual(c);
  });

  it.each([
    [{ layer_types: ['sliding_attention'] }, "'layer_types' must list 18 of"],
    [{ hidden_activation: 'silu' }, `'hidden_activation' must be one of "gelu_pytorch_tanh"`],
    [{ use_bidirectional_attention: true }, 'embedding model (EmbeddingGemma)'],
    [{ num_key_value_heads: 3 }, 'num_attention_heads 4 must be a multiple of num_key_value_heads 3'],
    [{ query_pre_attn_scalar: -1 }, "'query_pre_attn_scalar' must be a positive number"],
    [{ final_logit_softcapping: 'yes' }, "'final_logit_softcapping' must be a positive number"],
    [{ sliding_window: 0 }, "'sliding_window' must be a positive integer"],
  ])('refuses %j in one line naming the field', (override, message) => {
    const read = () => gemma3ConfigFromHF({ ...released, ...override }, 'm/config.json');
    expect(read).toThrow(UserError);
    expect(read).toThrow(message);
    expect(read).toThrow(/^m\/config\.json: /);
  });

  it('the multimodal gemma3 config is refused naming the supported model types', () => {
    expect(() => familyFor({ model_type: 'gemma3', text_config: released }, 'm/config.json')).toThrow(
      /model_type "gemma3" is not supported \(supported model types: .*gemma3_text/,
    );
  });
});

describe('Gemma 3 in the hub layout', () => {
  const ids = new Tensor(Int32Array.from([3, 14, 15, 9, 26, 5, 35, 8, 9, 7]), [1, 10]);

  it.each([
    ['tied, one file', {}, {}],
    [
      'untied with attention biases and soft-capping, in shards',
      { tie_word_embeddings: false, attention_bias: true, final_logit_softcapping: 4 },
      { maxShardBytes: 20_000 },
    ],
  ])('saves and loads back the same model (%s)', (_, overrides, options) => {
    const model = tinyGemma(overrides);
    const dir = join(tmp(), 'model');
    saveModel(dir, model, options);
    expect(existsSync(join(dir, SHARD_INDEX))).toBe('maxShardBytes' in options);
    const info = readFamilyConfig(dir);
    expect(info.family.name).toBe('gemma3');
    expect(info.config).toEqual(model.config);
    const loaded = loadModel(dir).eval();
    for (const [name, p] of model.stateDict()) expect(loaded.stateDict().get(name)!.data).toEqual(p.data);
    const [a, b] = noGrad(() => [model.forward(ids), loaded.forward(ids)]);
    expect(b.data).toEqual(a.data);
  });

  it('backward through a local block (window, soft-cap, (1 + w) norms) matches finite differences', () => {
    const model = tinyGemma({ attn_logit_softcapping: 2 });
    const block = model.trf_blocks.at(0);
    expect(block.layerType).toBe('sliding_attention');
    const rope = new RotaryEmbedding(8, 10_000, { type: 'default' }, 16).at(0, 6);
    const x = T.randn([1, 6, 32], { rng: new Rng(3) });
    const norms = [block.att.q_norm!.weight, block.post_feedforward_layernorm.weight];
    gradCheck((input) => block.forward(input, rope), [x, ...norms], { atol: 5e-3, rtol: 5e-2 });
  });

  it('a few AdamW steps on one batch lower the loss (backward through every piece)', () => {
    const model = tinyGemma({ attn_logit_softcapping: 5, final_logit_softcapping: 8 }).train();
    const input = new Tensor(ids.data.slice(0, 9), [1, 9]);
    const targets = new Tensor(ids.data.slice(1), [9]);
    const optimizer = new AdamW(model.parameters(), { lr: 3e-3, weightDecay: 0 });
    const losses: number[] = [];
    for (let step = 0; step < 6; step++) {
      optimizer.zeroGrad();
      const loss = T.crossEntropy(model.forward(input).reshape([9, 61]), targets);
      loss.backward();
      losses.push(loss.item());
      optimizer.step();
    }
    expect(losses[5]).toBeLessThan(losses[0] - 0.1);
    // Every parameter, the (1 + w) norms included, gets a gradient.
    for (const [name, p] of model.stateDict()) expect(p.grad, name).not.toBeNull();
  });
});
