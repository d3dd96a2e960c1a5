// Section 5.2's train_model_simple, with appendix D's linear warmup, cosine decay and gradient
// clipping as options, and what a long run needs: checkpoints every N steps and at the end, a stop
// request honoured between steps (Ctrl-C), and a NaN or infinite loss stopping the run.
//
// Steps are counted from 1 (the number of optimizer updates done). The book counts from 0 and so
// evaluates after the first update and then every evalFreq steps; here that is step 1 and then every
// step divisible by evalFreq. The training loss of an evaluation is over the first evalIter batches
// in data order (the book draws them from its shuffled loader), so evaluation draws no randomness
// and a resumed run sees the same numbers.
import { AdamW, clipGradNorm, warmupCosine, type ParamGroup, type AdamWOptions } from '../../optim/index.js';
import { Rng, type Tensor } from '../../tensor/index.js';
import type { GPTModel } from '../gpt.js';
import {
  asBatchSource,
  calcLossBatch,
  evaluateModel,
  orderedBatches,
  type BatchSource,
} from '../pretrain.js';
import type { GPTDatasetV1 } from '../text.js';
import type { LossHistory, TrainerState } from './checkpoint.js';

export interface TrainOptions {
  batchSize: number;
  epochs: number;
  // Stop after this many optimizer steps in all (resumed runs count the steps before too).
  maxSteps?: number;
  lr: number;
  weightDecay: number;
  // false: no weight decay on biases and LayerNorm parameters (every 1-d parameter).
  decayAll: boolean;
  // Appendix D: warmup from initialLr to lr over warmupSteps, then cosine decay to minLr. Used when
  // warmupSteps > 0 or minLr is given; otherwise the rate is constant, as in chapter 5.
  warmupSteps: number;
  initialLr?: number;
  minLr?: number;
  // Clip the global gradient norm to this (after the warmup, as appendix D does).
  gradClip?: number;
  evalFreq: number;
  evalIter: number;
  shuffle: boolean;
  // Seeds the data order (the model's generator is the caller's).
  seed: number;
}

export interface StepReport {
  step: number;
  epoch: number;
  loss: number;
  lr: number;
  tokensSeen: number;
}

export interface EvalReport {
  step: number;
  epoch: number;
  trainLoss: number;
  valLoss: number;
  tokensSeen: number;
}

export interface TrainHooks {
  onStep?(report: StepReport): void;
  onEval?(report: EvalReport): void;
  // After each full epoch (1-based), e.g. to print a sample.
  onEpochEnd?(epoch: number): void;
  // Save a checkpoint of this state (every checkpointEvery steps, at the end, when stopped).
  checkpoint?(state: TrainerState): void;
  checkpointEvery?: number;
  // Asked between steps; true stops the run after a checkpoint (Ctrl-C).
  shouldStop?(): boolean;
}

export interface TrainResult {
  state: TrainerState;
  // 'done': every epoch or maxSteps; 'stopped': shouldStop() said so.
  status: 'done' | 'stopped';
}

// Raised when the loss is not finite; the last checkpoint is the last good one.
export class DivergedError extends Error {
  constructor(
    readonly step: number,
    readonly loss: number,
  ) {
    super(`the loss is ${loss} at step ${step}`);
  }
}

// The trainable parameters (a LoRA model's adapters; every parameter otherwise), grouped.
export function paramGroups(model: GPTModel, decayAll: boolean): ParamGroup<AdamWOptions>[] {
  const params = model.parameters().filter((p) => p.requiresGrad);
  if (decayAll) return [{ params }];
  return [
    { params: params.filter((p) => p.ndim >= 2) },
    { params: params.filter((p) => p.ndim < 2), options: { weightDecay: 0 } },
  ];
}

export function makeOptimizer(model: GPTModel, options: TrainOptions): AdamW {
  return new AdamW(paramGroups(model, options.decayAll), {
    lr: options.lr,
    weightDecay: options.weightDecay,
  });
}

// Training examples: pretraining's windows or any other batch source (chapter 7's instructions).
export type TrainingData = GPTDatasetV1 | BatchSource;

export function batchesPerEpoch(train: { length: number }, batchSize: number): number {
  return Math.floor(train.length / batchSize); // drop_last=True, as the book's train loader
}

export function totalSteps(train: { length: number }, options: TrainOptions): number {
  const all = options.epochs * batchesPerEpoch(train, options.batchSize);
  return options.maxSteps !== undefined ? Math.min(options.maxSteps, all) : all;
}

export function initialState(seed: number, modelRng: Rng): TrainerState {
  const history: LossHistory = { steps: [], tokensSeen: [], trainLosses: [], valLosses: [] };
  return {
    step: 0,
    epoch: 0,
    batchInEpoch: 0,
    tokensSeen: 0,
    dataRng: new Rng(seed).getState(),
    modelRng: modelRng.getState(),
    history,
  };
}

// Trains from `start` (a fresh state or a checkpoint's) until the epochs or maxSteps are done.
// modelRng is the generator the model's dropout layers draw from; its state is saved and restored.
export async function trainModel(
  model: GPTModel,
  optimizer: AdamW,
  data: { train: TrainingData; val: TrainingData },
  options: TrainOptions,
  start: TrainerState,
  modelRng: Rng,
  hooks: TrainHooks = {},
): Promise<TrainResult> {
  const train = asBatchSource(data.train);
  const perEpoch = batchesPerEpoch(train, options.batchSize);
  const total = totalSteps(data.train, options);
  const schedule =
    options.warmupSteps > 0 || options.minLr !== undefined
      ? warmupCosine({
          peakLr: options.lr,
          initialLr: options.initialLr,
          minLr: options.minLr,
          warmupSteps: Math.min(options.warmupSteps, total),
          totalSteps: total,
        })
      : () => options.lr;
  const state: TrainerState = structuredClone(start);
  modelRng.setState(state.modelRng);
  const dataRng = new Rng(0);
  dataRng.setState(state.dataRng);
  const params = model.parameters().filter((p) => p.requiresGrad);
  const evaluate = () => {
    const report = evaluateModel(
      model,
      orderedBatches(data.train, options.batchSize, true),
      orderedBatches(data.val, options.batchSize),
      options.evalIter,
    );
    const h = state.history;
    h.steps.push(state.step);
    h.tokensSeen.push(state.tokensSeen);
    h.trainLosses.push(report.trainLoss);
    h.valLosses.push(report.valLoss);
    hooks.onEval?.({ ...report, step: state.step, epoch: state.epoch + 1, tokensSeen: state.tokensSeen });
  };
  const save = () => {
    state.modelRng = modelRng.getState();
    hooks.checkpoint?.(structuredClone(state));
  };
  let lastSaved = state.step;
  model.train();
  while (state.epoch < options.epochs && state.step < total) {
    // The epoch's order comes from the generator as it stood at the epoch's start, so a resume in
    // the middle of an epoch draws the same permutation again.
    state.dataRng = dataRng.getState();
    const order = options.shuffle
      ? dataRng.permutation(data.train.length)
      : Int32Array.from({ length: data.train.length }, (_, i) => i);
    while (state.batchInEpoch < perEpoch && state.step < total) {
      const b = state.batchInEpoch;
      const batch = train.batch(order.subarray(b * options.batchSize, (b + 1) * options.batchSize));
      const lr = schedule(state.step);
      optimizer.setLr(lr);
      optimizer.zeroGrad();
      const loss: Tensor = calcLossBatch(model, batch);
      const value = loss.item();
      if (!Number.isFinite(value)) throw new DivergedError(state.step + 1, value);
      loss.backward(undefined, { recycle: true });
      if (options.gradClip !== undefined && state.step >= options.warmupSteps)
        clipGradNorm(params, options.gradClip);
      optimizer.step();
      state.step++;
      state.batchInEpoch++;
      state.tokensSeen += batch.inputs.length;
      hooks.onStep?.({
        step: state.step,
        epoch: state.epoch + 1,
        loss: value,
        lr,
        tokensSeen: state.tokensSeen,
      });
      if (state.step === 1 || state.step % options.evalFreq === 0) evaluate();
      const every = hooks.checkpointEvery ?? 0;
      if (every > 0 && state.step % every === 0 && state.step < total) {
        save();
        lastSaved = state.step;
      }
      // Let signal handlers run between steps.
      await new Promise((resolve) => setImmediate(resolve));
      if (hooks.shouldStop?.()) {
        if (state.batchInEpoch === perEpoch) {
          state.epoch++;
          state.batchInEpoch = 0;
          state.dataRng = dataRng.getState();
        }
        if (lastSaved !== state.step) save();
        return { state, status: 'stopped' };
      }
    }
    if (state.batchInEpoch < perEpoch) break; // maxSteps reached within the epoch
    hooks.onEpochEnd?.(state.epoch + 1);
    state.epoch++;
    state.batchInEpoch = 0;
    state.dataRng = dataRng.getState();
  }
  save();
  return { state, status: 'done' };
}
