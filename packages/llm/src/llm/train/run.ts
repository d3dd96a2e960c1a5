// A pretraining run end to end, as `llm-scratch train` and `npm start` drive it: data files -> token
// ids split by a ratio -> sliding-window datasets -> a model (a preset, weights from a model
// directory, or a checkpoint to resume) -> the training loop -> checkpoints, a sample after each
// epoch, the loss log, and at the end the loss plot (PNG and terminal).
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from 'llm-scratch-core/errors';
import { colorEnabled } from 'llm-scratch-core/terminal';
import { loadModelDir, type ModelKind } from '../families/gpt2.js';
import type { AdamW } from '../../optim/index.js';
import { Rng } from '../../tensor/index.js';
import { gpt2Tokenizer } from '../fundamentals.js';
import { GPTModel, presetConfig, type GPTConfig } from '../gpt.js';
import { loadCorpus, sampleText, type Corpus } from '../pretrain.js';
import { GPTDatasetV1 } from '../text.js';
import { loadCheckpoint, saveCheckpoint, type TrainerState } from './checkpoint.js';
import {
  batchesPerEpoch,
  DivergedError,
  initialState,
  makeOptimizer,
  totalSteps,
  trainModel,
  type TrainingData,
  type TrainOptions,
} from './loop.js';
import { BOOK_DEFAULTS } from './defaults.js';
import { listenForInterrupt } from './interrupt.js';
import { lossPlotAscii, lossPlotPng } from './plot.js';
import { Progress } from './progress.js';

export { BOOK_DEFAULTS };

export interface PretrainOptions extends TrainOptions {
  data: string[];
  // A preset name, or weights from a model directory, or a checkpoint to resume (at most one).
  config?: string;
  // A config object instead of a preset name (tests, benchmarks).
  modelConfig?: GPTConfig;
  init?: string;
  resume?: string;
  // Window length; by default the model's context length, at most 256 (the book's chapter 5).
  contextLength?: number;
  // Tokens between window starts; the context length by default (disjoint windows, as the book).
  stride?: number;
  // Overrides the config's dropout.
  dropRate?: number;
  trainRatio: number;
  // Token ids already split, instead of reading `data` (tests, benchmarks).
  corpus?: Corpus;
  out: string;
  logJson?: string;
  checkpointEvery?: number;
  startContext: string;
  sampleTokens: number;
  // The loss plot PNG at the end (off in tests: it loads vega).
  plot: boolean;
}

export interface PretrainIO {
  stdout(text: string): void;
  stderr(text: string): void;
  // Draw a progress bar on the terminal (stderr).
  progressBar: boolean;
  // Save and stop on SIGINT.
  handleSignals: boolean;
}

export interface PretrainSummary {
  state: TrainerState;
  status: 'done' | 'stopped';
  config: GPTConfig;
  checkpoint: string;
  trainTokens: number;
  valTokens: number;
  seconds: number;
  plot?: string;
}

interface ModelSource {
  config: GPTConfig;
  // Weights to copy in (init or resume); none for a fresh preset.
  weights?: GPTModel;
  resume?: ReturnType<typeof loadCheckpoint>;
}

function modelSource(o: PretrainOptions): ModelSource {
  // A resumed run takes its model from the checkpoint, so that the command that started a run
  // continues it with --resume added.
  if (o.resume !== undefined) {
    const resume = loadCheckpoint(o.resume);
    return { config: resume.file.config, weights: resume.weights, resume };
  }
  if (o.init !== undefined) {
    if (o.config !== undefined) throw new UserError('give one of --config and --init');
    const weights = loadModelDir(o.init);
    return { config: { ...weights.config }, weights };
  }
  const config = o.modelConfig ? { ...o.modelConfig } : presetConfig(o.config ?? BOOK_DEFAULTS.config);
  config.contextLength = o.contextLength ?? Math.min(config.contextLength, BOOK_DEFAULTS.maxContextLength);
  return { config };
}

function checkFits(name: string, tokens: number, T: number, hint: string): void {
  if (tokens < T + 1) {
    throw new UserError(`${name}: ${tokens} tokens, fewer than one window of ${T} + 1: ${hint}`);
  }
}

export async function pretrain(o: PretrainOptions, io: PretrainIO): Promise<PretrainSummary> {
  const started = performance.now();
  const source = modelSource(o);
  const config = source.config;
  if (o.dropRate !== undefined && !source.resume) config.dropRate = o.dropRate;
  const T = o.contextLength ?? Math.min(config.contextLength, BOOK_DEFAULTS.maxContextLength);
  if (T > config.contextLength) {
    throw new UserError(
      `--context-length ${T} is longer than the model's context length ${config.contextLength}`,
    );
  }
  const stride = o.stride ?? T;
  if (!(Number.isInteger(stride) && stride >= 1)) throw new UserError(`--stride must be a positive integer`);

  const tokenizer = gpt2Tokenizer();
  const corpus = o.corpus ?? loadCorpus(o.data, o.trainRatio, tokenizer, io.stderr);
  const what = o.data.length === 1 ? o.data[0] : `${o.data.length} data files`;
  checkFits(
    `${what}: the training part`,
    corpus.train.length,
    T,
    'give more text, or lower --context-length',
  );
  checkFits(
    `${what}: the validation part`,
    corpus.val.length,
    T,
    'give more text, lower --context-length, or lower --train-ratio',
  );
  const maxId = corpus.train.reduce((m, x) => Math.max(m, x), 0);
  if (maxId >= config.vocabSize) {
    throw new UserError(
      `token id ${maxId} in the data does not fit the model's vocabulary of ${config.vocabSize}`,
    );
  }
  const train = new GPTDatasetV1(corpus.train, { maxLength: T, stride });
  const val = new GPTDatasetV1(corpus.val, { maxLength: T, stride });
  if (batchesPerEpoch(train, o.batchSize) === 0) {
    throw new UserError(
      `${what}: ${train.length} training windows of ${T} tokens, fewer than one batch of ${o.batchSize}: lower --batch-size or --context-length`,
    );
  }

  // One generator initialises the weights and then drives dropout; its state is in every checkpoint.
  const modelRng = new Rng(o.seed);
  const model = new GPTModel(config, { rng: modelRng });
  if (source.weights) model.loadStateDict(source.weights.stateDict());
  source.weights = undefined;
  const optimizer = makeOptimizer(model, o);
  let start = initialState(o.seed, modelRng);
  if (source.resume) {
    const { file } = source.resume;
    if (file.trainWindows !== train.length) {
      throw new UserError(
        `--resume: the checkpoint was trained on ${file.trainWindows} windows per epoch, this data and window make ${train.length}: resume with the same --data, --context-length, --stride and --train-ratio`,
      );
    }
    try {
      optimizer.loadStateDict(source.resume.optimizer);
    } catch (err) {
      throw new UserError(`--resume: ${(err as Error).message} (was --no-decay-norms given differently?)`);
    }
    start = {
      step: file.step,
      epoch: file.epoch,
      batchInEpoch: file.batchInEpoch,
      tokensSeen: file.tokensSeen,
      dataRng: file.dataRng,
      modelRng: file.modelRng,
      history: file.history,
    };
  }

  const run = await runTraining(
    {
      model,
      optimizer,
      data: { train, val },
      start,
      modelRng,
      resumed: source.resume !== undefined,
      started,
      intro: `training ${model.numParameters().toLocaleString('en-US')} parameters on ${corpus.train.length} tokens (${train.length} windows of ${T}), validating on ${corpus.val.length}`,
      sample:
        o.sampleTokens === 0 ? undefined : () => sampleText(model, tokenizer, o.startContext, o.sampleTokens),
      plotTitle: (state) =>
        `${config.nLayers} layers, ${config.embDim} dims, context ${T}: ${state.tokensSeen.toLocaleString('en-US')} tokens`,
    },
    o,
    io,
  );
  const { state, seconds, plot, checkpoint: checkpointDir } = run;
  return {
    state,
    status: run.status,
    config,
    checkpoint: checkpointDir,
    trainTokens: corpus.train.length,
    valTokens: corpus.val.length,
    seconds,
    plot,
  };
}

// What runTraining needs besides the options: a model and its optimizer ready to train, the data, the
// state to start from (fresh or a checkpoint's) and how to describe the run.
export interface TrainingSetup {
  model: GPTModel;
  optimizer: AdamW;
  data: { train: TrainingData; val: TrainingData };
  start: TrainerState;
  modelRng: Rng;
  resumed: boolean;
  // performance.now() when the command started (the reported time includes loading).
  started: number;
  // The first line printed ("training N parameters on ...").
  intro: string;
  // A sample printed after each epoch.
  sample?: () => string;
  plotTitle: (state: TrainerState) => string;
  // What the checkpoint's config.json says the model is (chapter 7 saves 'instruct').
  kind?: ModelKind;
}

export type RunOutputOptions = TrainOptions &
  Pick<PretrainOptions, 'out' | 'logJson' | 'checkpointEvery' | 'plot'>;

export interface TrainingRun {
  state: TrainerState;
  status: 'done' | 'stopped';
  checkpoint: string;
  seconds: number;
  plot?: string;
}

// The part of a run that every kind of training shares: the loop with a progress bar, evaluation
// lines, the JSON log, checkpoints (every N steps, at the end, on Ctrl-C), samples after each epoch,
// the loss history and plot, and a clear message when the loss diverges.
export async function runTraining(
  setup: TrainingSetup,
  o: RunOutputOptions,
  io: PretrainIO,
): Promise<TrainingRun> {
  const { model, optimizer, data, start, modelRng } = setup;
  mkdirSync(o.out, { recursive: true });
  const checkpointDir = join(o.out, 'checkpoint');
  const total = totalSteps(data.train, o);
  const log = o.logJson !== undefined ? openSync(o.logJson, setup.resumed ? 'a' : 'w') : null;
  const writeLog = (x: unknown) => log !== null && writeSync(log, JSON.stringify(x) + '\n');
  const progress = new Progress(io, total, start.step);
  let lastCheckpoint: number | null = setup.resumed ? start.step : null;
  const interrupt = listenForInterrupt(io.handleSignals, (t) => progress.log(t), 'saving a checkpoint');

  io.stderr(`${setup.intro}; ${total - start.step} steps to go\n`);
  const samples: string[] = [];
  let result;
  try {
    result = await trainModel(model, optimizer, data, o, start, modelRng, {
      checkpointEvery: o.checkpointEvery,
      onStep: (r) => {
        writeLog({ step: r.step, epoch: r.epoch, loss: r.loss, lr: r.lr, tokensSeen: r.tokensSeen });
        progress.step(r.step, r.loss, r.tokensSeen);
      },
      onEval: (r) => {
        writeLog({ step: r.step, trainLoss: r.trainLoss, valLoss: r.valLoss });
        progress.result(
          `Ep ${r.epoch} (Step ${String(r.step).padStart(6, '0')}): Train loss ${r.trainLoss.toFixed(3)}, Val loss ${r.valLoss.toFixed(3)}\n`,
        );
      },
      onEpochEnd: (epoch) => {
        if (!setup.sample) return;
        const text = setup.sample();
        samples.push(`epoch ${epoch}: ${text}`);
        progress.result(`${text}\n`);
      },
      checkpoint: (state) => {
        saveCheckpoint(checkpointDir, model, optimizer.stateDict(), state, data.train.length, setup.kind);
        lastCheckpoint = state.step;
      },
      shouldStop: () => interrupt.requested,
    });
  } catch (err) {
    if (err instanceof DivergedError) {
      const kept =
        lastCheckpoint !== null
          ? `the last good checkpoint is ${checkpointDir} (step ${lastCheckpoint})`
          : 'no checkpoint was written yet';
      throw new UserError(`${err.message}: training stopped; ${kept}. Try a lower --lr or --grad-clip 1.0`);
    }
    throw err;
  } finally {
    progress.stop();
    interrupt.dispose();
    if (log !== null) closeSync(log);
  }

  const { state } = result;
  if (samples.length) writeFileSync(join(o.out, 'samples.txt'), samples.join('\n') + '\n', { flag: 'a' });
  writeFileSync(join(o.out, 'losses.json'), JSON.stringify(state.history) + '\n');
  const seconds = (performance.now() - setup.started) / 1000;
  let plot: string | undefined;
  if (result.status === 'stopped') {
    io.stderr(`stopped at step ${state.step}; continue with --resume ${o.out}\n`);
  } else if (state.history.steps.length >= 2) {
    const chart = lossPlotAscii(state.history, 10, 60, undefined, colorEnabled(process.stdout));
    if (chart) io.stdout(chart + '\n');
    if (o.plot) {
      plot = join(o.out, 'loss.png');
      writeFileSync(plot, await lossPlotPng(state.history, setup.plotTitle(state)));
    }
  }
  io.stderr(
    `${result.status === 'done' ? 'done' : 'saved'}: step ${state.step} in ${seconds.toFixed(1)} s; model and checkpoint in ${checkpointDir}${plot ? `, loss plot ${plot}` : ''}\n`,
  );
  return { state, status: result.status, checkpoint: checkpointDir, seconds, plot };
}
