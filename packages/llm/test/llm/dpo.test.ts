// The DPO bonus: the preference collate, mean response log-probabilities, the loss (ln 2 with a zero
// margin when the policy is the reference) and a few steps that separate chosen from rejected.
import { describe, expect, it } from 'vitest';
import { UserError } from 'llm-scratch-core/errors';
import {
  collatePreferences,
  dpoBatch,
  dpoLoss,
  encodePreference,
  evaluateDPO,
  parsePreferenceData,
  sequenceLogProbs,
} from '../../src/llm/dpo.js';
import { gpt2Tokenizer } from '../../src/llm/fundamentals.js';
import { GPTModel, presetConfig } from '../../src/llm/gpt.js';
import { AdamW } from '../../src/optim/index.js';
import * as T from '../../src/tensor/index.js';
import { noGrad, Rng, Tensor } from '../../src/tensor/index.js';
import { readFileSync } from 'node:fs';

const config = { ...presetConfig('gpt2-tiny'), dropRate: 0 };
const pairs = parsePreferenceData(
  readFileSync('data/instruction-data-with-preference.json', 'utf8'),
  'data/instruction-data-with-preference.json',
);
const tokenizer = gpt2Tokenizer();
const encoded = pairs.slice(0, 4).map((p) => encodePreference(p, tokenizer));

describe('preference data', () => {
  it("reads the book's 1,100 pairs and names records without chosen or rejected", () => {
    expect(pairs.length).toBe(1100);
    const bad = JSON.stringify([
      { instruction: 'a', output: 'b', chosen: 'c', rejected: 'd' },
      { instruction: 'a', output: 'b', chosen: 'c' },
    ]);
    expect(() => parsePreferenceData(bad, 'p.json')).toThrow(UserError);
    expect(() => parsePreferenceData(bad, 'p.json')).toThrow(
      "p.json: record 1: 'rejected' missing or not a string",
    );
  });

  it('pads with the end token and masks the prompt (+2 tokens) and the padding', () => {
    const items = [
      { prompt: [1, 2], chosen: [1, 2, 3, 4, 5, 6], rejected: [1, 2, 3, 4, 7] },
      { prompt: [8], chosen: [8, 9, 10, 11], rejected: [8, 9, 10, 12, 13, 14, 15] },
    ];
    const b = collatePreferences(items);
    expect(b.shape).toEqual([2, 8]);
    expect([...b.chosen.data]).toEqual([
      1, 2, 3, 4, 5, 6, 50256, 50256, 8, 9, 10, 11, 50256, 50256, 50256, 50256,
    ]);
    expect([...b.chosenMask]).toEqual([0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    expect([...b.rejectedMask]).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0]);
    const cut = collatePreferences(items, { allowedMaxLength: 5 });
    expect(cut.shape).toEqual([2, 5]);
    expect([...cut.rejected.data]).toEqual([1, 2, 3, 4, 7, 8, 9, 10, 12, 13]);
  });
});

describe('the DPO loss', { timeout: 300_000 }, () => {
  it('mean log-probabilities of the masked tokens match log_softmax + gather', () => {
    const logits = T.randn([2, 4, 5], { rng: new Rng(1) });
    const ids = new Tensor(Int32Array.from([0, 1, 2, 3, 4, 3, 2, 1]), [2, 4]);
    const mask = Float32Array.from([0, 0, 1, 1, 0, 1, 1, 0]);
    const got = sequenceLogProbs(logits, ids, mask).map((t) => t.item());
    const lp = logits.logSoftmax(-1).data;
    const at = (b: number, t: number, v: number) => lp[(b * 4 + t) * 5 + v];
    expect(got[0]).toBeCloseTo((at(0, 1, 2) + at(0, 2, 3)) / 2, 5);
    expect(got[1]).toBeCloseTo((at(1, 0, 3) + at(1, 1, 2)) / 2, 5);
  });

  it('is -logsigmoid(beta * ((pc - pr) - (rc - rr))), with rewards pi - ref', () => {
    const s = dpoLoss([T.scalar(-1), T.scalar(-2)], [T.scalar(-3), T.scalar(-1)], [-2, -2], [-2, -2], 0.5);
    const nls = (x: number) => Math.log(1 + Math.exp(-x));
    expect(s.loss.item()).toBeCloseTo((nls(0.5 * 2) + nls(0.5 * -1)) / 2, 6);
    expect(s.chosenReward).toBeCloseTo((1 + 0) / 2, 10);
    expect(s.rejectedReward).toBeCloseTo((-1 + 1) / 2, 10);
    expect(s.margin).toBeCloseTo(0.5, 10);
    expect(s.accuracy).toBe(0.5);
  });

  it('is ln 2 with a zero margin when the policy equals the reference', () => {
    const policy = new GPTModel(config, { rng: new Rng(3) });
    const reference = new GPTModel(config, { skipInit: true });
    reference.loadStateDict(policy.stateDict());
    const batch = collatePreferences(encoded, { allowedMaxLength: 64 });
    const s = noGrad(() => dpoBatch(policy, reference, batch, 0.1));
    expect(s.loss.item()).toBeCloseTo(Math.LN2, 6);
    expect(s.margin).toBe(0);
    expect(s.chosenReward).toBe(0);
    expect(s.accuracy).toBe(0);
  });

  it('a few steps raise the margin and the reward accuracy of the pairs trained on', async () => {
    const policy = new GPTModel(config, { rng: new Rng(4) });
    const reference = new GPTModel(config, { skipInit: true });
    reference.loadStateDict(policy.stateDict());
    reference.requiresGrad_(false);
    const batch = collatePreferences(encoded, { allowedMaxLength: 64 });
    const before = evaluateDPO(policy, reference, [batch], 0.1);
    const optimizer = new AdamW(policy.parameters(), { lr: 1e-3, weightDecay: 0 });
    for (let i = 0; i < 3; i++) {
      optimizer.zeroGrad();
      const s = dpoBatch(policy, reference, batch, 0.1);
      s.loss.backward();
      optimizer.step();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const after = evaluateDPO(policy, reference, [batch], 0.1);
    expect(before.margin).toBe(0);
    expect(after.margin).toBeGreaterThan(0.05);
    expect(after.accuracy).toBeGreaterThan(before.accuracy);
    expect(after.loss).toBeLessThan(Math.LN2);
  });
});
