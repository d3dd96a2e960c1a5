// Chapter 4's model against PyTorch (tools/fixtures/gpt2_tiny.py), the book's parameter counts,
// KV-cache generation against recomputation, and GPT-2 weights in and out.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportGPT2, loadModelDir, saveModelDir } from '../../src/llm/families/gpt2.js';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors.js';
import { generate, generateTextSimple } from '../../src/llm/generate.js';
import { GPTModel, modelSize, presetConfig } from '../../src/llm/gpt.js';
import * as T from '../../src/tensor/index.js';
import { noGrad, Rng, Tensor } from '../../src/tensor/index.js';
import { describeEachBackend } from '../helpers/backends.js';
import { expected, fixture, fixtureTensors, writeFixtureModel } from '../helpers/gpt2-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'llm-scratch-gpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const modelDir = writeFixtureModel(join(dir, 'fixture'));
const ids = (values: number[]) => new Tensor(Int32Array.from(values), [1, values.length]);

describe('model size (section 4.6)', () => {
  it('counts GPT-2 small as the book does', () => {
    const small = presetConfig('gpt2-small');
    expect(modelSize(small).parameters).toBe(163_009_536);
    expect(modelSize(small).parametersTied).toBe(124_412_160);
    expect(modelSize({ ...small, qkvBias: true }).parametersTied).toBe(124_439_808);
    expect(modelSize(small).megabytes.toFixed(2)).toBe('621.83');
    expect(modelSize({ ...presetConfig('gpt2-xl'), qkvBias: true }).parametersTied).toBe(1_557_611_200);
  });

  it('agrees with the parameters a model really has, tied or not', () => {
    for (const tieWeights of [false, true]) {
      const config = { ...presetConfig('gpt2-tiny'), qkvBias: true, tieWeights };
      expect(new GPTModel(config).numParameters()).toBe(modelSize(config).parameters);
    }
  });
});

describeEachBackend('GPT-2 parity with PyTorch', () => {
  it('gives the logits of every position within 1e-4', () => {
    const model = loadModelDir(modelDir).eval();
    const logits = noGrad(() => model.forward(ids(fixture.ids)));
    const want = expected.get('logits')!;
    expect(logits.shape).toEqual([1, ...want.shape]);
    let worst = 0;
    for (let i = 0; i < want.size; i++) worst = Math.max(worst, Math.abs(logits.data[i] - want.data[i]));
    expect(worst).toBeLessThan(1e-4);
  });

  it('gives the loss and the gradient of every parameter within 1e-4 relative', () => {
    const model = loadModelDir(modelDir).eval();
    const loss = T.crossEntropy(model.forward(ids(fixture.ids)), ids(fixture.targets));
    expect(Math.abs(loss.item() - fixture.loss)).toBeLessThan(1e-4 * fixture.loss);
    loss.backward();
    const grads = exportGPT2(model, (p) => p.grad!);
    for (const [name, got] of grads) {
      let actual = got;
      if (name === 'wte.weight')
        actual = got.indexSelect(
          0,
          new Tensor(Int32Array.from(fixture.wte_grad_rows), [fixture.wte_grad_rows.length]),
        );
      const want = expected.get(`grad.${name}`)!;
      expect(actual.shape, name).toEqual(want.shape);
      // Relative to the tensor's largest gradient: single elements near zero have no relative scale.
      let scale = 0;
      for (const v of want.data) scale = Math.max(scale, Math.abs(v));
      for (let i = 0; i < want.size; i++) {
        if (Math.abs(actual.data[i] - want.data[i]) > 1e-4 * scale + 1e-7) {
          expect.fail(`${name}[${i}]: ${actual.data[i]} vs PyTorch ${want.data[i]}`);
        }
      }
    }
  });

  it('generates the same 30 greedy tokens', () => {
    const model = loadModelDir(modelDir);
    expect(generate(model, fixture.ids, { maxNewTokens: 30 })).toEqual(fixture.greedy);
    expect(generate(model, fixture.ids, { maxNewTokens: 30, kvCache: false })).toEqual(fixture.greedy);
    const simple = generateTextSimple(model.eval(), ids(fixture.ids), 30, 64);
    expect(Array.from(simple.data).slice(fixture.ids.length)).toEqual(fixture.greedy);
  });
});

describeEachBackend('generation with a KV cache', () => {
  it('gives the tokens of full recomputation for 200 new tokens, across the context limit', () => {
    const model = new GPTModel(
      { ...presetConfig('gpt2-tiny'), contextLength: 48, dropRate: 0 },
      { rng: new Rng(3) },
    );
    const prompt = [1549, 11, 314, 716];
    const streamed: number[] = [];
    const cached = generate(model, prompt, { maxNewTokens: 200, onToken: (id) => streamed.push(id) });
    const recomputed = generate(model, prompt, { maxNewTokens: 200, kvCache: false });
    expect(cached).toHaveLength(200);
    expect(cached).toEqual(recomputed);
    expect(streamed).toEqual(cached);
  });

  it('samples reproducibly with a seed, temperature, top-k and top-p, and stops at the end token', () => {
    const model = new GPTModel({ ...presetConfig('gpt2-tiny'), dropRate: 0 }, { rng: new Rng(4) });
    const opts = { maxNewTokens: 20, temperature: 1.5, topK: 50, topP: 0.9, seed: 7 };
    const a = generate(model, [1, 2, 3], opts);
    expect(generate(model, [1, 2, 3], opts)).toEqual(a);
    expect(generate(model, [1, 2, 3], { ...opts, kvCache: false })).toEqual(a);
    expect(generate(model, [1, 2, 3], { ...opts, seed: 8 })).not.toEqual(a);
    const greedy = generate(model, [1, 2, 3], { maxNewTokens: 10 });
    expect(generate(model, [1, 2, 3], { maxNewTokens: 10, topK: 1, temperature: 5, seed: 1 })).toEqual(
      greedy,
    );
    expect(generate(model, [1, 2, 3], { maxNewTokens: 10, eosId: greedy[2] })).toEqual(greedy.slice(0, 3));
  });
});

describe('GPT-2 weights in and out', () => {
  it('loads the transformers layout with the transformer. prefix too', () => {
    const prefixed = join(dir, 'prefixed');
    writeFixtureModel(prefixed, { prefix: 'transformer.' });
    const a = noGrad(() =>
      loadModelDir(modelDir)
        .eval()
        .forward(ids([1, 2, 3])),
    );
    const b = noGrad(() =>
      loadModelDir(prefixed)
        .eval()
        .forward(ids([1, 2, 3])),
    );
    expect(b.data).toEqual(a.data);
  });

  it('round-trips a trained model through save and load, tied and untied, with and without qkv bias', () => {
    for (const [tieWeights, qkvBias] of [
      [true, true],
      [false, false],
    ]) {
      const model = new GPTModel(
        { ...presetConfig('gpt2-tiny'), tieWeights, qkvBias },
        { rng: new Rng(5) },
      ).eval();
      const out = join(dir, `roundtrip-${tieWeights}`);
      saveModelDir(out, model);
      const back = loadModelDir(out).eval();
      expect(back.config.tieWeights).toBe(tieWeights);
      expect(back.config.qkvBias).toBe(qkvBias);
      const x = ids([5, 6, 7]);
      expect(noGrad(() => back.forward(x)).data).toEqual(noGrad(() => model.forward(x)).data);
      const names = [...readSafetensors(join(out, 'model.safetensors')).tensors.keys()];
      expect(names.includes('lm_head.weight')).toBe(!tieWeights);
      expect(names).toContain('transformer.h.1.attn.c_attn.bias');
    }
  });

  it('names the tensor and the problem for a missing tensor, a wrong shape or a truncated file', () => {
    const broken = join(dir, 'broken');
    writeFixtureModel(broken);
    const tensors = fixtureTensors();
    tensors.delete('h.1.mlp.c_fc.bias');
    writeSafetensors(join(broken, 'model.safetensors'), tensors);
    expect(() => loadModelDir(broken)).toThrow("missing tensor 'h.1.mlp.c_fc.bias'");

    const wrong = fixtureTensors();
    wrong.set('h.0.attn.c_proj.weight', T.zeros([64, 32]));
    writeSafetensors(join(broken, 'model.safetensors'), wrong);
    expect(() => loadModelDir(broken)).toThrow(
      "tensor 'h.0.attn.c_proj.weight' has shape [64, 32], expected [64, 64]",
    );

    writeFileSync(join(broken, 'model.safetensors'), Buffer.alloc(100));
    expect(() => loadModelDir(broken)).toThrow('not a valid safetensors file');
    expect(() => loadModelDir(join(dir, 'nowhere'))).toThrow('not a model directory');
  });
});
