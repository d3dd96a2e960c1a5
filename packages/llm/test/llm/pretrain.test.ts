// Chapter 5: the loss functions, training parity with PyTorch (tools/fixtures/train_parity.py),
// resume to the same losses, Ctrl-C, and a diverging run keeping its last good checkpoint.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSafetensors } from '../../src/io/safetensors.js';
import { GPTModel, type GPTConfig } from '../../src/llm/gpt.js';
import {
  calcLossBatch,
  calcLossLoader,
  loadCorpus,
  orderedBatches,
  perplexity,
  type Corpus,
} from '../../src/llm/pretrain.js';
import { GPTDatasetV1 } from '../../src/llm/text.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/llm/train/checkpoint.js';
import {
  DivergedError,
  initialState,
  makeOptimizer,
  trainModel,
  type TrainOptions,
} from '../../src/llm/train/loop.js';
import { lossPlotAscii, lossPlotPng, lossPlotSvg } from '../../src/llm/train/plot.js';
import { BOOK_DEFAULTS, pretrain, type PretrainOptions } from '../../src/llm/train/run.js';
import { Rng, Tensor } from '../../src/tensor/index.js';
import { describeEachBackend } from '../helpers/backends.js';
import { fixtureValue, fnv1a } from '../helpers/gpt2-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'pretrain-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const verdict = new URL('../../data/the-verdict.txt', import.meta.url).pathname;
const parity = JSON.parse(
  readFileSync(new URL('../fixtures/train-parity.json', import.meta.url), 'utf8'),
) as {
  config: { vocab_size: number; n_positions: number; n_embd: number; n_layer: number; n_head: number };
  ids: number[];
  losses: number[];
};

const quiet = { stdout: () => {}, stderr: () => {}, progressBar: false, handleSignals: false };

// The parity model as a Hugging Face directory, its values from the fixture hash.
function writeParityModel(out: string): string {
  const { vocab_size: V, n_positions: P, n_embd: C, n_layer: L } = parity.config;
  const shapes: [string, number[]][] = [
    ['wte.weight', [V, C]],
    ['wpe.weight', [P, C]],
    ['ln_f.weight', [C]],
    ['ln_f.bias', [C]],
    ['lm_head.weight', [V, C]],
  ];
  for (let l = 0; l < L; l++) {
    for (const [k, s] of [
      ['ln_1.weight', [C]],
      ['ln_1.bias', [C]],
      ['attn.c_attn.weight', [C, 3 * C]],
      ['attn.c_attn.bias', [3 * C]],
      ['attn.c_proj.weight', [C, C]],
      ['attn.c_proj.bias', [C]],
      ['ln_2.weight', [C]],
      ['ln_2.bias', [C]],
      ['mlp.c_fc.weight', [C, 4 * C]],
      ['mlp.c_fc.bias', [4 * C]],
      ['mlp.c_proj.weight', [4 * C, C]],
      ['mlp.c_proj.bias', [C]],
    ] as [string, number[]][])
      shapes.push([`h.${l}.${k}`, s]);
  }
  const tensors = new Map<string, Tensor>();
  for (const [name, shape] of shapes) {
    const seed = fnv1a(name);
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = fixtureValue(name, seed, i);
    tensors.set(name, new Tensor(data, shape));
  }
  mkdirSync(out, { recursive: true });
  writeSafetensors(join(out, 'model.safetensors'), tensors, { format: 'pt' });
  writeFileSync(join(out, 'config.json'), JSON.stringify({ model_type: 'gpt2', ...parity.config }));
  return out;
}

function options(over: Partial<PretrainOptions>): PretrainOptions {
  const { config: _preset, maxContextLength: _max, ...defaults } = BOOK_DEFAULTS;
  return {
    ...defaults,
    data: [verdict],
    decayAll: true,
    warmupSteps: 0,
    shuffle: true,
    out: join(dir, 'run'),
    plot: false,
    sampleTokens: 0,
    ...over,
  };
}

function readLog(file: string): Record<string, number>[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number>);
}

describe('chapter 5 pieces', () => {
  it('splits the verdict as the book does: 90% of the characters train', () => {
    const corpus = loadCorpus([verdict], 0.9);
    expect(corpus.kind).toBe('text');
    // The book: 5,145 tokens in all (here the split adds no token boundary inside a word).
    expect(corpus.train.length + corpus.val.length).toBeGreaterThanOrEqual(5145);
    expect(Array.from(corpus.train.subarray(0, parity.ids.length))).toEqual(parity.ids);
  });

  it('calcLossLoader is the mean of the batch losses and NaN without batches', () => {
    const config: GPTConfig = {
      vocabSize: 32,
      contextLength: 8,
      embDim: 16,
      nHeads: 2,
      nLayers: 1,
      dropRate: 0,
      qkvBias: false,
    };
    const model = new GPTModel(config, { rng: new Rng(1) });
    const ds = new GPTDatasetV1(
      Array.from({ length: 60 }, (_, i) => (i * 7) % 32),
      { maxLength: 8, stride: 8 },
    );
    const losses = [...orderedBatches(ds, 2)].map((b) => calcLossBatch(model, b).item());
    expect(calcLossLoader(model, orderedBatches(ds, 2))).toBeCloseTo(
      losses.reduce((a, b) => a + b) / losses.length,
      5,
    );
    expect(calcLossLoader(model, orderedBatches(ds, 2), 1)).toBeCloseTo(losses[0], 6);
    expect(calcLossLoader(model, [])).toBeNaN();
    // An untrained model is about as unsure as a uniform guess over the vocabulary.
    expect(perplexity(losses[0])).toBeGreaterThan(16);
    expect(perplexity(Math.log(32))).toBeCloseTo(32, 9);
  });
});

describeEachBackend('training parity with PyTorch', () => {
  it('the first 10 AdamW losses match train_parity.py within 1e-3 relative', async () => {
    const init = writeParityModel(join(dir, 'parity-model'));
    const log = join(dir, `parity-${Math.random()}.jsonl`);
    await pretrain(
      options({
        init,
        dropRate: 0,
        shuffle: false,
        batchSize: 2,
        contextLength: 32,
        maxSteps: 10,
        evalFreq: 1000,
        evalIter: 1,
        logJson: log,
        out: join(dir, 'parity-run'),
      }),
      quiet,
    );
    const losses = readLog(log)
      .filter((r) => 'loss' in r)
      .map((r) => r.loss);
    expect(losses).toHaveLength(10);
    losses.forEach((loss, i) => {
      expect(Math.abs(loss - parity.losses[i]) / parity.losses[i]).toBeLessThan(1e-3);
      // Tighter in fact: the moves of the loss agree too.
      expect(Math.abs(loss - losses[0] - (parity.losses[i] - parity.losses[0]))).toBeLessThan(1e-3);
    });
  }, 60_000);
});

// A small vocabulary and model, so that 30 steps take a few seconds; dropout and shuffling on, so
// that resuming must restore both generators and the position in the epoch.
const small: GPTConfig = {
  vocabSize: 64,
  contextLength: 16,
  embDim: 32,
  nHeads: 2,
  nLayers: 2,
  dropRate: 0.1,
  qkvBias: false,
};
const ids = Int32Array.from({ length: 400 }, (_, i) => (i * 37 + ((i * i) % 11)) % 64);
const corpus: Corpus = {
  train: ids.subarray(0, 300),
  val: ids.subarray(300),
  kind: 'shards',
  totalTokens: 400,
};

function smallRun(over: Partial<PretrainOptions>): PretrainOptions {
  return options({
    modelConfig: over.resume ? undefined : small,
    corpus,
    batchSize: 4,
    contextLength: 16,
    evalFreq: 4,
    evalIter: 2,
    epochs: 5,
    ...over,
  });
}

describe('checkpoints and resume', () => {
  it('a run stopped after step 7 and resumed gives the same losses at steps 8-15', async () => {
    const full = join(dir, 'full.jsonl');
    await pretrain(smallRun({ maxSteps: 15, logJson: full, out: join(dir, 'full') }), quiet);
    const part = join(dir, 'part.jsonl');
    const out = join(dir, 'part');
    await pretrain(smallRun({ maxSteps: 7, logJson: part, out }), quiet);
    await pretrain(smallRun({ maxSteps: 15, logJson: part, out, resume: out }), quiet);
    // 18 windows of 16 make 4 batches an epoch: the resume starts mid-epoch 2, crosses two more epochs.
    expect(readLog(part)).toEqual(readLog(full));
    const ckpt = loadCheckpoint(join(out, 'checkpoint'));
    expect(ckpt.file).toMatchObject({ step: 15, epoch: 3, batchInEpoch: 3, tokensSeen: 15 * 4 * 16 });
  }, 60_000);

  it('SIGINT saves a checkpoint between steps and the run resumes to the same losses', async () => {
    const full = join(dir, 'full-sig.jsonl');
    await pretrain(smallRun({ maxSteps: 10, logJson: full, out: join(dir, 'full-sig') }), quiet);
    const log = join(dir, 'sig.jsonl');
    const out = join(dir, 'sig');
    const first = pretrain(smallRun({ maxSteps: 10, logJson: log, out }), { ...quiet, handleSignals: true });
    setImmediate(() => process.emit('SIGINT'));
    const stopped = await first;
    expect(stopped.status).toBe('stopped');
    expect(stopped.state.step).toBeLessThan(10);
    expect(loadCheckpoint(out).file.step).toBe(stopped.state.step);
    const done = await pretrain(smallRun({ maxSteps: 10, logJson: log, out, resume: out }), quiet);
    expect(done.status).toBe('done');
    expect(readLog(log)).toEqual(readLog(full));
  }, 60_000);

  it('a NaN loss stops the run and keeps the last good checkpoint', async () => {
    const model = new GPTModel(small, { rng: new Rng(3) });
    const train = new GPTDatasetV1(corpus.train, { maxLength: 16, stride: 16 });
    const val = new GPTDatasetV1(corpus.val, { maxLength: 16, stride: 16 });
    const o = smallRun({}) as TrainOptions;
    const optimizer = makeOptimizer(model, o);
    const saved: number[] = [];
    const ckpt = join(dir, 'nan', 'checkpoint');
    const run = trainModel(model, optimizer, { train, val }, o, initialState(1, new Rng(3)), new Rng(3), {
      checkpointEvery: 2,
      checkpoint: (state) => {
        saved.push(state.step);
        saveCheckpoint(ckpt, model, optimizer.stateDict(), state, train.length);
      },
      onStep: ({ step }) => {
        if (step === 5) model.tok_emb.weight.data.fill(NaN);
      },
    });
    await expect(run).rejects.toThrow(DivergedError);
    await expect(run).rejects.toThrow('the loss is NaN at step 6');
    expect(saved).toEqual([2, 4]);
    expect(loadCheckpoint(ckpt).file.step).toBe(4);
  }, 30_000);
});

describe('the loss plot', () => {
  const history = {
    steps: [1, 5, 10],
    tokensSeen: [512, 2560, 5120],
    trainLosses: [9.8, 8.1, 6.7],
    valLosses: [9.9, 8.3, 7.0],
  };

  it('renders both curves to a PNG with vega, vega-lite and resvg', async () => {
    const png = await lossPlotPng(history, 'test');
    expect(Buffer.from(png.subarray(0, 8)).toString('latin1')).toBe('\x89PNG\r\n\x1a\n');
    const svg = await lossPlotSvg(history, 'test');
    expect(svg).toContain('Training loss');
    expect(svg).toContain('Validation loss');
    expect(svg).toContain('Tokens seen');
  }, 30_000);

  it('draws a terminal chart', () => {
    const chart = lossPlotAscii(history);
    expect(chart.split('\n').length).toBeGreaterThan(10);
    expect(chart).toContain('9.90');
    expect(chart).toContain('\u001b[');
    const plain = lossPlotAscii(history, 10, 60, undefined, false);
    expect(plain).not.toContain('\u001b');
    expect(plain).toMatch(/^ {2}training loss:$/m);
    expect(plain).toMatch(/^ {2}validation loss:$/m);
    expect(lossPlotAscii({ ...history, steps: [1], tokensSeen: [1], trainLosses: [1], valLosses: [1] })).toBe(
      '',
    );
  });
});
