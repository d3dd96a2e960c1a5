// Sections 6.5-6.7 on a tiny model: which parameters train (frozen ones stay bit for bit, the head
// and the last block move), the loss and accuracy over loaders, and train_classifier_simple's
// evaluations and per-epoch accuracies.
import { describe, expect, it } from 'vitest';
import { addClassificationHead, classifierLogits } from '../../src/llm/classifier.js';
import {
  cacheFrozenBlocks,
  calcAccuracyLoader,
  frozenPrefixBlocks,
  calcLossLoader,
  classificationBatches,
  makeDataset,
  setTrainable,
  trainClassifierSimple,
} from '../../src/llm/finetune/train.js';
import { GPTModel } from '../../src/llm/gpt.js';
import { AdamW } from '../../src/optim/index.js';
import { Rng } from '../../src/tensor/index.js';

const config = {
  vocabSize: 50257,
  contextLength: 12,
  embDim: 16,
  nHeads: 2,
  nLayers: 3,
  dropRate: 0,
  qkvBias: false,
};

// Class 1 sequences contain token 7 somewhere; class 0 ones never do.
function dataset(n: number, seed: number) {
  const rng = new Rng(seed);
  const seqs: Int32Array[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const len = rng.int(4, 11);
    const s = Int32Array.from({ length: len }, () => 10 + rng.int(0, 40));
    const label = i % 2;
    if (label) s[rng.int(0, len)] = 7;
    seqs.push(s);
    labels.push(label);
  }
  return makeDataset(seqs, labels, 12);
}

function model(seed = 3) {
  const rng = new Rng(seed);
  return addClassificationHead(new GPTModel(config, { rng }), 2, { rng });
}

function snapshot(m: ReturnType<typeof model>): Map<string, Float32Array> {
  return new Map([...m.namedParameters()].map(([n, p]) => [n, Float32Array.from(p.f32())]));
}

describe('fine-tuning for classification', () => {
  it('freezes all but the last block, the final norm and the head (the book), or all but the head', () => {
    const m = model();
    setTrainable(m, 'last-block');
    const trainable = [...m.namedParameters()].filter(([, p]) => p.requiresGrad).map(([n]) => n);
    expect(trainable.every((n) => /^(trf_blocks\.2\.|final_norm\.|out_head\.)/.test(n))).toBe(true);
    expect(trainable).toContain('out_head.bias');
    expect(trainable).toContain('trf_blocks.2.att.W_query.weight');
    setTrainable(m, 'head');
    expect([...m.namedParameters()].filter(([, p]) => p.requiresGrad).map(([n]) => n)).toEqual([
      'out_head.weight',
      'out_head.bias',
    ]);
    setTrainable(m, 'all');
    expect(m.numParameters({ trainableOnly: true })).toBe(m.numParameters());
  });

  it('trains: the loss falls, accuracy rises above chance, frozen parameters do not move', async () => {
    const m = model();
    const train = dataset(160, 1);
    const val = dataset(40, 2);
    setTrainable(m, 'last-block');
    const before = snapshot(m);
    const optimizer = new AdamW(
      m.parameters().filter((p) => p.requiresGrad),
      { lr: 3e-3, weightDecay: 0.1 },
    );
    const all = (d: typeof train) => classificationBatches(d, 8);
    const lossBefore = calcLossLoader(m, all(train));
    const epochs: number[] = [];
    const result = await trainClassifierSimple(
      m,
      optimizer,
      { train, val },
      { epochs: 6, batchSize: 8, evalFreq: 20, evalIter: 5, seed: 123 },
      { onEpochEnd: (r) => epochs.push(r.epoch) },
    );
    expect(result.steps).toBe(6 * 20);
    expect(result.examplesSeen).toBe(6 * 160);
    expect(result.history.steps).toEqual([1, 20, 40, 60, 80, 100, 120]);
    expect(epochs).toEqual([1, 2, 3, 4, 5, 6]);
    expect(result.history.trainAccs).toHaveLength(6);
    expect(calcLossLoader(m, all(train))).toBeLessThan(lossBefore * 0.7);
    expect(calcAccuracyLoader(m, all(val))).toBeGreaterThan(0.75);
    const after = snapshot(m);
    for (const [name, values] of before) {
      const moved = values.some((v, i) => v !== after.get(name)![i]);
      if (/^(trf_blocks\.2\.|final_norm\.|out_head\.)/.test(name)) {
        if (!name.endsWith('.bias') || name.startsWith('out_head')) expect(moved, name).toBe(true);
      } else expect(moved, name).toBe(false);
    }
  });

  it('counts accuracy over the first numBatches batches as the argmax of the last-token logits', () => {
    const m = model();
    const d = dataset(30, 4);
    const [first] = classificationBatches(d, 8);
    const predicted = classifierLogits(m, first.inputs, 8, 12).argmax(-1).data;
    const correct = [...first.labels].filter((l, i) => predicted[i] === l).length;
    expect(calcAccuracyLoader(m, classificationBatches(d, 8), 1)).toBe(correct / 8);
    expect(Number.isNaN(calcAccuracyLoader(m, classificationBatches(makeDataset([], [], 12), 8)))).toBe(true);
  });

  it('computes the frozen blocks once: the same training as running them every step', async () => {
    const run = async (cache: boolean) => {
      const m = model(5);
      setTrainable(m, 'last-block');
      const train = dataset(48, 6);
      const val = dataset(16, 7);
      if (cache) {
        expect(frozenPrefixBlocks(m)).toBe(2);
        await cacheFrozenBlocks(m, [train, val], 2);
      }
      const optimizer = new AdamW(
        m.parameters().filter((p) => p.requiresGrad),
        { lr: 3e-3, weightDecay: 0.1 },
      );
      const r = await trainClassifierSimple(
        m,
        optimizer,
        { train, val },
        { epochs: 2, batchSize: 8, evalFreq: 3, evalIter: 2, seed: 1 },
      );
      return { r, head: Float32Array.from(m.out_head.weight.f32()) };
    };
    const plain = await run(false);
    const cached = await run(true);
    expect(cached.r.history.steps).toEqual(plain.r.history.steps);
    cached.r.history.trainLosses.forEach((l, i) => expect(l).toBeCloseTo(plain.r.history.trainLosses[i], 4));
    cached.r.history.valAccs.forEach((a, i) => expect(a).toBe(plain.r.history.valAccs[i]));
    cached.head.forEach((w, i) => expect(w).toBeCloseTo(plain.head[i], 4));
    const all = model();
    setTrainable(all, 'all');
    expect(frozenPrefixBlocks(all)).toBe(0);
  });
});
