// Appendix E: LoRA layers, the book's trainable-parameter count, merging for export.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModelDir, saveModelDir } from '../../src/llm/families/gpt2.js';
import { GPTModel, presetConfig } from '../../src/llm/gpt.js';
import {
  applyLoRA,
  hasLoRA,
  LinearWithLoRA,
  loadLoRAStateDict,
  LoRALayer,
  loraStateDict,
  mergeLoRA,
  withPlainLinears,
} from '../../src/llm/lora.js';
import { Linear } from '../../src/nn/index.js';
import * as T from '../../src/tensor/index.js';
import { noGrad, Rng, Tensor } from '../../src/tensor/index.js';

const dir = mkdtempSync(join(tmpdir(), 'llm-scratch-lora-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ids = new Tensor(Int32Array.from([5, 17, 300, 2, 9, 50256]), [2, 3]);
const tiny = () => new GPTModel({ ...presetConfig('gpt2-tiny'), dropRate: 0 }, { rng: new Rng(1) });
const maxDiff = (a: Tensor, b: Tensor) => {
  let m = 0;
  for (let i = 0; i < a.size; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
  return m;
};
// Gives every B a small random value, as training would, so that the adapters change the output.
const perturb = (model: GPTModel, seed = 7) => {
  const rng = new Rng(seed);
  for (const [name, p] of loraStateDict(model)) {
    if (name.endsWith('.B')) p.data.set(T.rand(p.shape, { rng, low: -0.02, high: 0.02 }).data);
  }
};

describe('LoRALayer (section E.4)', () => {
  it('starts with A uniform in +-1/sqrt(rank) and B zero, scaled by alpha or alpha/rank', () => {
    const layer = new LoRALayer(32, 10, { rank: 4, alpha: 8, rng: new Rng(0) });
    expect(layer.A.shape).toEqual([32, 4]);
    expect(layer.B.shape).toEqual([4, 10]);
    expect(Math.max(...Array.from(layer.A.data, Math.abs))).toBeLessThanOrEqual(0.5);
    expect(Math.max(...Array.from(layer.A.data, Math.abs))).toBeGreaterThan(0.3);
    expect([...layer.B.data].every((x) => x === 0)).toBe(true);
    expect(layer.scale).toBe(8);
    expect(new LoRALayer(32, 10, { rank: 4, alpha: 8, scaleByRank: true }).scale).toBe(2);
  });

  it('computes alpha * x A B', () => {
    const layer = new LoRALayer(3, 2, { rank: 2, alpha: 0.5, rng: new Rng(0) });
    layer.B.data.set([1, 2, 3, 4]);
    const x = new Tensor(Float32Array.from([1, -1, 2]), [1, 3]);
    const want = x.matmul(layer.A).matmul(layer.B).mul(0.5);
    expect(maxDiff(layer.forward(x), want)).toBe(0);
  });

  it('a fresh LinearWithLoRA gives what the Linear gives', () => {
    const linear = new Linear(6, 5, { rng: new Rng(3) });
    const x = T.randn([2, 4, 6], { rng: new Rng(4) });
    const before = linear.forward(x);
    const wrapped = new LinearWithLoRA(linear, { rank: 2, alpha: 16 });
    expect(maxDiff(wrapped.forward(x), before)).toBe(0);
    expect(wrapped.weight).toBe(linear.weight);
  });
});

describe('applyLoRA (section E.5)', () => {
  it("counts the book's 2,666,528 trainable parameters: rank 16 on gpt2-small with qkv bias and a 2-class head", () => {
    const model = new GPTModel({ ...presetConfig('gpt2-small'), qkvBias: true }, { skipInit: true });
    model.out_head = new Linear(768, 2, { skipInit: true });
    expect(model.numParameters({ trainableOnly: true })).toBe(124_441_346);
    expect(applyLoRA(model, { rank: 16, alpha: 16 })).toBe(2_666_528);
    expect(model.numParameters({ trainableOnly: true })).toBe(2_666_528);
    // Every Linear is wrapped: 6 per block and the head.
    const wrapped = [...model.namedModules()].filter(([, m]) => m instanceof LinearWithLoRA);
    expect(wrapped.length).toBe(12 * 6 + 1);
    expect(wrapped.map(([n]) => n).slice(0, 6)).toEqual([
      'trf_blocks.0.att.W_query',
      'trf_blocks.0.att.W_key',
      'trf_blocks.0.att.W_value',
      'trf_blocks.0.att.out_proj',
      'trf_blocks.0.ff.layers.0',
      'trf_blocks.0.ff.layers.2',
    ]);
    expect(model.tok_emb.weight.requiresGrad).toBe(false);
    expect(model.trf_blocks[0].norm1.scale.requiresGrad).toBe(false);
    expect(() => applyLoRA(model, { rank: 16, alpha: 16 })).toThrow(/already has LoRA/);
  });

  it('changes nothing until trained, and only the adapters get gradients', () => {
    const model = tiny();
    const before = noGrad(() => model.forward(ids));
    applyLoRA(model, { rank: 4, alpha: 8, rng: new Rng(2) });
    expect(
      maxDiff(
        noGrad(() => model.forward(ids)),
        before,
      ),
    ).toBe(0);
    const loss = T.crossEntropy(
      model.forward(ids).reshape([6, -1]),
      new Tensor(Int32Array.from([1, 2, 3, 4, 5, 6]), [6]),
    );
    loss.backward();
    for (const [name, p] of model.namedParameters()) {
      if (/lora\.B$/.test(name)) expect(p.grad, name).not.toBeNull();
      if (!/lora\.[AB]$/.test(name)) expect(p.grad ?? null, name).toBeNull();
    }
  });
});

describe('mergeLoRA', () => {
  for (const scaleByRank of [false, true]) {
    it(`gives the unmerged logits within 1e-5 and saves as a plain model (scaleByRank ${scaleByRank})`, () => {
      const model = tiny();
      const base = noGrad(() => model.forward(ids));
      applyLoRA(model, { rank: 4, alpha: 2, scaleByRank, rng: new Rng(2) });
      perturb(model);
      const unmerged = noGrad(() => model.forward(ids));
      expect(maxDiff(unmerged, base)).toBeGreaterThan(1e-3);
      expect(mergeLoRA(model)).toBe(2 * 6 + 1);
      expect(hasLoRA(model)).toBe(false);
      expect(model.out_head).toBeInstanceOf(Linear);
      const merged = noGrad(() => model.forward(ids));
      expect(maxDiff(merged, unmerged)).toBeLessThan(1e-5);
      const out = join(dir, `merged-${scaleByRank}`);
      saveModelDir(out, model, 'instruct');
      const loaded = loadModelDir(out);
      expect(
        maxDiff(
          noGrad(() => loaded.eval().forward(ids)),
          merged,
        ),
      ).toBeLessThan(1e-5);
    });
  }

  it('keeps base weights and adapters apart for checkpoints (withPlainLinears, loraStateDict)', () => {
    const model = tiny();
    applyLoRA(model, { rank: 2, alpha: 4, rng: new Rng(5) });
    perturb(model);
    const want = noGrad(() => model.forward(ids));
    const out = join(dir, 'base');
    withPlainLinears(model, () => saveModelDir(out, model));
    expect(hasLoRA(model)).toBe(true);
    const again = loadModelDir(out);
    again.config.dropRate = 0;
    applyLoRA(again, { rank: 2, alpha: 4, rng: new Rng(99) });
    loadLoRAStateDict(again, loraStateDict(model));
    expect(
      maxDiff(
        noGrad(() => again.eval().forward(ids)),
        want,
      ),
    ).toBe(0);
  });
});
