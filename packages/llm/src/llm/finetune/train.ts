// Sections 6.3-6.7: labelled token sequences padded to one length, batches of them, which parameters
// train (the book: the last transformer block, the final norm and the head), the loss and the
// accuracy over a loader (calc_loss_loader, calc_accuracy_loader), and train_classifier_simple:
// evaluation every evalFreq steps, the accuracy after each epoch.
//
// Steps count from 1, as in the pretraining loop (train/loop.ts): evaluation after the first step
// and then at every multiple of evalFreq. The losses and accuracies of an evaluation are over the
// first evalIter batches in data order, so they draw no randomness.
import type { Optimizer } from '../../optim/index.js';
import * as T from '../../tensor/index.js';
import { noGrad, Rng, Tensor } from '../../tensor/index.js';
import {
  classifierLogits,
  classifierLogitsFrom,
  hiddenAfterBlocks,
  padBatch,
  type ClassifierModel,
} from '../classifier.js';

// N sequences of the same padded length T with a class index each.
export interface ClassificationDataset {
  // (N*T) token ids, padded with 50256.
  ids: Int32Array;
  labels: Int32Array;
  maxLength: number;
  length: number;
  // The hidden states after the first `blocks` (frozen) blocks, (N*T*C), when cached.
  features?: { data: Float32Array; blocks: number; embDim: number };
}

export interface ClassificationBatch {
  inputs: Int32Array;
  labels: Int32Array;
  batch: number;
  length: number;
  features?: { data: Float32Array; blocks: number; embDim: number };
}

export function makeDataset(
  seqs: readonly Int32Array[],
  labels: readonly number[],
  maxLength: number,
): ClassificationDataset {
  if (seqs.length !== labels.length) throw new Error(`${seqs.length} sequences, ${labels.length} labels`);
  return { ids: padBatch(seqs, maxLength), labels: Int32Array.from(labels), maxLength, length: seqs.length };
}

function makeBatch(data: ClassificationDataset, indices: ArrayLike<number>): ClassificationBatch {
  const Tn = data.maxLength;
  const inputs = new Int32Array(indices.length * Tn);
  const labels = new Int32Array(indices.length);
  for (let r = 0; r < indices.length; r++) {
    const i = indices[r];
    inputs.set(data.ids.subarray(i * Tn, (i + 1) * Tn), r * Tn);
    labels[r] = data.labels[i];
  }
  const batch: ClassificationBatch = { inputs, labels, batch: indices.length, length: Tn };
  const f = data.features;
  if (f) {
    const row = Tn * f.embDim;
    const values = new Float32Array(indices.length * row);
    for (let r = 0; r < indices.length; r++)
      values.set(f.data.subarray(indices[r] * row, (indices[r] + 1) * row), r * row);
    batch.features = { ...f, data: values };
  }
  return batch;
}

// The batches of a dataset in the given order (data order by default); the last one smaller unless
// dropLast (the book's train loader drops it, its validation and test loaders do not).
export function* classificationBatches(
  data: ClassificationDataset,
  batchSize: number,
  options: { order?: Int32Array; dropLast?: boolean } = {},
): Generator<ClassificationBatch> {
  const order = options.order ?? Int32Array.from({ length: data.length }, (_, i) => i);
  for (let start = 0; start < order.length; start += batchSize) {
    const end = Math.min(start + batchSize, order.length);
    if (options.dropLast && end - start < batchSize) return;
    yield makeBatch(data, order.subarray(start, end));
  }
}

export function batchesPerEpoch(data: ClassificationDataset, batchSize: number): number {
  return Math.floor(data.length / batchSize);
}

// ---- which parameters train ----

export type Trainable = 'last-block' | 'all' | 'head';
export { TRAINABLE } from './defaults.js';

// Section 6.5: everything frozen, then the head (and, for last-block, the last transformer block and
// the final LayerNorm) unfrozen; 'all' trains every parameter.
export function setTrainable(model: ClassifierModel, trainable: Trainable): void {
  model.requiresGrad_(trainable === 'all');
  model.out_head.requiresGrad_(true);
  if (trainable === 'last-block') {
    model.trf_blocks.at(-1).requiresGrad_(true);
    model.final_norm.requiresGrad_(true);
  }
}

// ---- the frozen blocks computed once ----

// How many leading transformer blocks are a fixed function of the tokens: the embeddings and those
// blocks all frozen and no dropout. 0 when training reaches the embeddings.
export function frozenPrefixBlocks(model: ClassifierModel): number {
  if (model.config.dropRate !== 0) return 0;
  const frozen = (m: { parameters(): { requiresGrad: boolean }[] }) =>
    m.parameters().every((p) => !p.requiresGrad);
  if (!frozen(model.tok_emb) || !frozen(model.pos_emb)) return 0;
  let k = 0;
  while (k < model.trf_blocks.length && frozen(model.trf_blocks.at(k))) k++;
  return k;
}

// The hidden states after the frozen blocks, computed once per example: each training step then
// runs only the blocks that train (with the book's last-block setting, a quarter of the forward
// pass), and the numbers are those of the full forward pass.
export async function cacheFrozenBlocks(
  model: ClassifierModel,
  datasets: ClassificationDataset[],
  blocks: number,
  batchSize = 16,
): Promise<void> {
  const C = model.config.embDim;
  for (const d of datasets) {
    const row = d.maxLength * C;
    const data = new Float32Array(d.length * row);
    let at = 0;
    for (const b of classificationBatches(d, batchSize)) {
      const h = noGrad(() => hiddenAfterBlocks(model, b.inputs, b.batch, b.length, blocks));
      data.set(h.f32('cacheFrozenBlocks'), at);
      at += b.batch * row;
      await new Promise((resolve) => setImmediate(resolve));
    }
    d.features = { data, blocks, embDim: C };
  }
}

// ---- loss and accuracy ----

function batchLogits(model: ClassifierModel, b: ClassificationBatch): Tensor {
  const f = b.features;
  if (!f) return classifierLogits(model, b.inputs, b.batch, b.length); // (B, K)
  return classifierLogitsFrom(model, new Tensor(f.data, [b.batch, b.length, f.embDim]), f.blocks);
}

// Section 6.6's calc_loss_batch: cross-entropy of the last token's logits against the class.
export function calcLossBatch(model: ClassifierModel, batch: ClassificationBatch): Tensor {
  return T.crossEntropy(batchLogits(model, batch), new Tensor(batch.labels, [batch.batch]));
}

function limited<B>(batches: Iterable<B>, numBatches: number | undefined, each: (b: B) => void): number {
  let n = 0;
  for (const b of batches) {
    if (numBatches !== undefined && n >= numBatches) break;
    each(b);
    n++;
  }
  return n;
}

// Mean loss over the first numBatches batches (all when not given); NaN without batches.
export function calcLossLoader(
  model: ClassifierModel,
  batches: Iterable<ClassificationBatch>,
  numBatches?: number,
): number {
  let total = 0;
  const n = noGrad(() => limited(batches, numBatches, (b) => (total += calcLossBatch(model, b).item())));
  return n === 0 ? NaN : total / n;
}

// Section 6.6's calc_accuracy_loader: the share of examples whose highest logit is their class, in
// eval mode.
export function calcAccuracyLoader(
  model: ClassifierModel,
  batches: Iterable<ClassificationBatch>,
  numBatches?: number,
): number {
  const wasTraining = model.training;
  model.eval();
  let correct = 0;
  let seen = 0;
  try {
    noGrad(() =>
      limited(batches, numBatches, (b) => {
        const predicted = batchLogits(model, b).argmax(-1).data;
        for (let r = 0; r < b.batch; r++) if (predicted[r] === b.labels[r]) correct++;
        seen += b.batch;
      }),
    );
  } finally {
    model.train(wasTraining);
  }
  return seen === 0 ? NaN : correct / seen;
}

// ---- train_classifier_simple ----

export interface ClassifierHistory {
  // At each evaluation.
  steps: number[];
  examplesSeen: number[];
  trainLosses: number[];
  valLosses: number[];
  // At the end of each epoch.
  epochExamplesSeen: number[];
  trainAccs: number[];
  valAccs: number[];
}

export interface ClassifierTrainOptions {
  epochs: number;
  batchSize: number;
  evalFreq: number;
  evalIter: number;
  // Seeds the order of the training examples.
  seed: number;
  // Stop after this many optimizer steps (for quick runs).
  maxSteps?: number;
}

export interface ClassifierTrainHooks {
  onStep?(r: { step: number; epoch: number; loss: number; examplesSeen: number }): void;
  onEval?(r: { step: number; epoch: number; trainLoss: number; valLoss: number }): void;
  onEpochEnd?(r: { epoch: number; trainAcc: number; valAcc: number }): void;
  shouldStop?(): boolean;
}

export interface ClassifierTrainResult {
  history: ClassifierHistory;
  steps: number;
  examplesSeen: number;
  status: 'done' | 'stopped';
}

export async function trainClassifierSimple(
  model: ClassifierModel,
  optimizer: Optimizer<{ lr: number }>,
  data: { train: ClassificationDataset; val: ClassificationDataset },
  o: ClassifierTrainOptions,
  hooks: ClassifierTrainHooks = {},
): Promise<ClassifierTrainResult> {
  const history: ClassifierHistory = {
    steps: [],
    examplesSeen: [],
    trainLosses: [],
    valLosses: [],
    epochExamplesSeen: [],
    trainAccs: [],
    valAccs: [],
  };
  const rng = new Rng(o.seed);
  const trainEval = () => classificationBatches(data.train, o.batchSize, { dropLast: true });
  const valEval = () => classificationBatches(data.val, o.batchSize);
  let step = 0;
  let examplesSeen = 0;
  const done = () => o.maxSteps !== undefined && step >= o.maxSteps;
  model.train();
  for (let epoch = 1; epoch <= o.epochs && !done(); epoch++) {
    const order = rng.permutation(data.train.length);
    for (const batch of classificationBatches(data.train, o.batchSize, { order, dropLast: true })) {
      optimizer.zeroGrad();
      const loss = calcLossBatch(model, batch);
      const value = loss.item();
      if (!Number.isFinite(value)) throw new Error(`the loss is ${value} at step ${step + 1}`);
      loss.backward();
      optimizer.step();
      step++;
      examplesSeen += batch.batch;
      hooks.onStep?.({ step, epoch, loss: value, examplesSeen });
      if (step === 1 || step % o.evalFreq === 0) {
        model.eval();
        const trainLoss = calcLossLoader(model, trainEval(), o.evalIter);
        const valLoss = calcLossLoader(model, valEval(), o.evalIter);
        model.train();
        history.steps.push(step);
        history.examplesSeen.push(examplesSeen);
        history.trainLosses.push(trainLoss);
        history.valLosses.push(valLoss);
        hooks.onEval?.({ step, epoch, trainLoss, valLoss });
      }
      // Signal handlers and the test runner get a turn between steps.
      await new Promise((resolve) => setImmediate(resolve));
      if (hooks.shouldStop?.()) return { history, steps: step, examplesSeen, status: 'stopped' };
      if (done()) break;
    }
    const trainAcc = calcAccuracyLoader(model, trainEval(), o.evalIter);
    const valAcc = calcAccuracyLoader(model, valEval(), o.evalIter);
    history.epochExamplesSeen.push(examplesSeen);
    history.trainAccs.push(trainAcc);
    history.valAccs.push(valAcc);
    hooks.onEpochEnd?.({ epoch, trainAcc, valAcc });
  }
  return { history, steps: step, examplesSeen, status: 'done' };
}
