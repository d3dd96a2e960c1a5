// A fine-tuning run end to end, as `llm-scratch finetune-classifier` drives it: labelled texts
// (SpamAssassin, a file, or a split written by an earlier run) -> balanced and split, the split
// written as CSV -> token ids padded to one length -> a GPT (pretrained weights or a random preset)
// with a classification head and the chosen parameters trainable -> train_classifier_simple with
// the book's printouts -> accuracies over the whole of each part, the classifier directory, the
// loss and accuracy plots and metrics.json.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from 'llm-scratch-core/errors';
import { colorEnabled } from 'llm-scratch-core/terminal';
import { loadModelDir } from '../families/gpt2.js';
import { AdamW } from '../../optim/index.js';
import { Rng } from '../../tensor/index.js';
import {
  addClassificationHead,
  encodeTexts,
  saveClassifierDir,
  setClassifierMaxLength,
  type ClassifierModel,
} from '../classifier.js';
import { gpt2Tokenizer, type BPETokenizer } from '../fundamentals.js';
import { GPTModel, presetConfig, validateConfig } from '../gpt.js';
import { applyLoRA, mergeLoRA, type LinearWithLoRA } from '../lora.js';
import { listenForInterrupt } from '../train/interrupt.js';
import { lossPlotAscii, lossPlotPng, type PlotLabels } from '../train/plot.js';
import { Progress } from '../train/progress.js';
import {
  balance,
  classNames,
  findSplitDir,
  labelCounts,
  loadLabelledFile,
  loadSpamAssassin,
  randomSplit,
  readSplit,
  requireTwoClasses,
  writeSplit,
  type DataFormat,
  type Example,
  type Split,
} from './data.js';
import {
  batchesPerEpoch,
  cacheFrozenBlocks,
  frozenPrefixBlocks,
  calcAccuracyLoader,
  calcLossLoader,
  classificationBatches,
  makeDataset,
  setTrainable,
  trainClassifierSimple,
  type ClassificationDataset,
  type ClassifierHistory,
  type Trainable,
} from './train.js';

export { CLASSIFIER_DEFAULTS } from './defaults.js';

export interface FinetuneOptions {
  // 'spamassassin', a labelled file, or a split directory (train.csv, validation.csv, test.csv).
  data: string;
  format?: DataFormat;
  textColumn?: string;
  labelColumn?: string;
  // The class names in order; by default the labels seen, sorted.
  labels?: string[];
  // A model directory (or a run directory with checkpoint/) to start from, or a preset for random
  // weights.
  model?: string;
  config?: string;
  // The context length of a --config model (default: the preset's); a --model keeps its own.
  contextLength?: number;
  maxLength?: number;
  trainable: Trainable;
  epochs: number;
  batchSize: number;
  maxSteps?: number;
  lr: number;
  weightDecay: number;
  evalFreq: number;
  evalIter: number;
  dropRate: number;
  seed: number;
  balance: boolean;
  // Keep at most this many examples (after balancing, the same number of each class).
  limit?: number;
  trainFrac: number;
  valFrac: number;
  // Appendix E: LoRA adapters of this rank on every Linear layer of the transformer, which is frozen
  // (trainable is then ignored); the head stays fully trainable.
  loraRank?: number;
  loraAlpha?: number;
  out: string;
  plot: boolean;
  // Compute the frozen blocks below the trainable ones once per example instead of every step.
  cacheFrozen: boolean;
}

export interface FinetuneIO {
  stdout(text: string): void;
  stderr(text: string): void;
  progressBar: boolean;
  handleSignals: boolean;
}

export interface FinetuneSummary {
  status: 'done' | 'stopped';
  labels: string[];
  counts: { train: number; validation: number; test: number };
  emptySkipped: number;
  truncated: number;
  maxLength: number;
  trainableParameters: number;
  parameters: number;
  steps: number;
  examplesSeen: number;
  trainingSeconds: number;
  seconds: number;
  accuracy: { train: number; validation: number; test: number };
  loss: { train: number; validation: number; test: number };
  history: ClassifierHistory;
  out: string;
  plots: string[];
}

interface LoadedSplit {
  split: Split;
  emptySkipped: number;
  labels: string[];
  // Where the split came from, when it was read as it is (not re-split).
  fromDir?: string;
}

// Undersampled to `limit` examples in all, the same number of each class, seeded.
function limitExamples(examples: Example[], limit: number, seed: number): Example[] {
  const counts = labelCounts(examples);
  const per = Math.max(1, Math.floor(limit / counts.size));
  const rng = new Rng(seed + 1);
  const kept = new Map<string, number>();
  const out: Example[] = [];
  for (const i of rng.permutation(examples.length)) {
    const e = examples[i];
    const k = kept.get(e.label) ?? 0;
    if (k < per) {
      kept.set(e.label, k + 1);
      out.push(e);
    }
  }
  return out;
}

function describeCounts(examples: readonly Example[]): string {
  return [...labelCounts(examples)].map(([l, n]) => `${l} ${n}`).join(', ');
}

function loadSplit(o: FinetuneOptions, io: FinetuneIO): LoadedSplit {
  const columns = { textColumn: o.textColumn, labelColumn: o.labelColumn, labels: o.labels };
  const dir = o.data === 'spamassassin' ? null : findSplitDir(o.data);
  if (dir) {
    const { split, emptySkipped } = readSplit(dir, columns);
    requireTwoClasses(split.train, join(dir, 'train.csv'));
    io.stderr(
      `read the split in ${dir}: ${split.train.length} training, ${split.validation.length} validation, ${split.test.length} test examples\n`,
    );
    return { split, emptySkipped, labels: classNames(split.train, o.labels), fromDir: dir };
  }
  const loaded = o.data === 'spamassassin' ? loadSpamAssassin() : loadLabelledFile(o.data, o.format, columns);
  requireTwoClasses(loaded.examples, loaded.source);
  io.stderr(
    `read ${loaded.examples.length} examples from ${loaded.source} (${describeCounts(loaded.examples)})${loaded.emptySkipped ? `; skipped ${loaded.emptySkipped} with an empty text` : ''}\n`,
  );
  let examples = loaded.examples;
  if (o.balance) {
    examples = balance(examples, o.seed);
    io.stderr(`balanced by undersampling: ${examples.length} examples (${describeCounts(examples)})\n`);
  }
  if (o.limit !== undefined && o.limit < examples.length) {
    examples = limitExamples(examples, o.limit, o.seed);
    io.stderr(`--limit: kept ${examples.length} examples (${describeCounts(examples)})\n`);
  }
  const split = randomSplit(examples, o.trainFrac, o.valFrac, o.seed);
  return { split, emptySkipped: loaded.emptySkipped, labels: classNames(examples, o.labels) };
}

// The model to fine-tune: a model directory's weights (or a run directory's checkpoint/), or a
// preset with random weights; dropout set to dropRate either way.
function baseModel(o: FinetuneOptions, rng: Rng): GPTModel {
  if ((o.model === undefined) === (o.config === undefined))
    throw new UserError('give one of --model DIR (pretrained weights) and --config PRESET (random weights)');
  if (o.contextLength !== undefined && o.config === undefined)
    throw new UserError('--context-length sizes a --config model; a --model keeps its own context length');
  if (o.config !== undefined) {
    const config = { ...presetConfig(o.config), dropRate: o.dropRate };
    if (o.contextLength !== undefined) config.contextLength = o.contextLength;
    validateConfig(config);
    return new GPTModel(config, { rng });
  }
  let dir = o.model!;
  if (!existsSync(join(dir, 'model.safetensors')) && existsSync(join(dir, 'checkpoint', 'model.safetensors')))
    dir = join(dir, 'checkpoint');
  const weights = loadModelDir(dir);
  const model = new GPTModel({ ...weights.config, dropRate: o.dropRate }, { rng, skipInit: true });
  model.loadStateDict(weights.stateDict());
  return model;
}

function encodeSplit(
  split: Split,
  labels: string[],
  tokenizer: BPETokenizer,
  maxLength: number | undefined,
  contextLength: number,
): {
  train: ClassificationDataset;
  val: ClassificationDataset;
  test: ClassificationDataset;
  truncated: number;
  maxLength: number;
} {
  const cut = maxLength ?? contextLength;
  const index = new Map(labels.map((l, i) => [l, i]));
  const enc = (part: Example[]) => {
    const { ids, truncated } = encodeTexts(
      tokenizer,
      part.map((e) => e.text),
      cut,
    );
    return { ids, truncated, labels: part.map((e) => index.get(e.label)!) };
  };
  const train = enc(split.train);
  // Section 6.3: the longest training sequence, unless a length is given; the validation and test
  // sequences are padded or cut to the same length.
  const length = maxLength ?? train.ids.reduce((m, s) => Math.max(m, s.length), 1);
  const val = enc(split.validation);
  const test = enc(split.test);
  // Cut at `cut` when encoded, or longer than the training length and cut when padded.
  const cutLater = [...val.ids, ...test.ids].filter((s) => s.length > length).length;
  const cutVT = cut > length ? cutLater : val.truncated + test.truncated;
  return {
    train: makeDataset(train.ids, train.labels, length),
    val: makeDataset(val.ids, val.labels, length),
    test: makeDataset(test.ids, test.labels, length),
    truncated: train.truncated + cutVT,
    maxLength: length,
  };
}

const LOSS_LABELS: PlotLabels = {
  x: 'Examples seen',
  y: 'Loss',
  train: 'Training loss',
  val: 'Validation loss',
};
const ACC_LABELS: PlotLabels = {
  x: 'Examples seen',
  y: 'Accuracy',
  train: 'Training accuracy',
  val: 'Validation accuracy',
};

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

export async function finetuneClassifier(o: FinetuneOptions, io: FinetuneIO): Promise<FinetuneSummary> {
  const started = performance.now();
  for (const [flag, v] of Object.entries({
    epochs: o.epochs,
    'batch-size': o.batchSize,
    'eval-freq': o.evalFreq,
    'eval-iter': o.evalIter,
  })) {
    if (!(Number.isInteger(v) && v >= 1)) throw new UserError(`--${flag} must be a positive integer`);
  }
  const rng = new Rng(o.seed);
  const loaded = loadSplit(o, io);
  const { split, labels } = loaded;
  const model: ClassifierModel = addClassificationHead(baseModel(o, rng), labels.length, { rng });
  const contextLength = model.config.contextLength;
  if (o.maxLength !== undefined && !(Number.isInteger(o.maxLength) && o.maxLength >= 1))
    throw new UserError('--max-length must be a positive integer');
  if (o.maxLength !== undefined && o.maxLength > contextLength)
    throw new UserError(
      `--max-length ${o.maxLength} is longer than the model's context length ${contextLength}`,
    );

  const tokenizer = gpt2Tokenizer();
  const data = encodeSplit(split, labels, tokenizer, o.maxLength, contextLength);
  setClassifierMaxLength(model, data.maxLength);
  const total = split.train.length + split.validation.length + split.test.length;
  if (data.truncated > 0)
    io.stderr(
      `warning: ${data.truncated} of ${total} texts were longer than ${data.maxLength} tokens and were truncated${o.maxLength === undefined ? ' (the context length)' : ' (--max-length)'}\n`,
    );
  if (batchesPerEpoch(data.train, o.batchSize) === 0)
    throw new UserError(`${data.train.length} training examples, fewer than one batch of ${o.batchSize}`);

  if (o.loraRank !== undefined) {
    // Appendix E: every Linear of the transformer frozen behind a LoRA adapter; the head is new (no
    // pretrained weights to adapt), so it stays a plain Linear and trains in full.
    applyLoRA(model, { rank: o.loraRank, alpha: o.loraAlpha ?? o.loraRank, rng });
    const head = model.out_head as unknown as LinearWithLoRA;
    model.out_head = head.linear;
    model.out_head.requiresGrad_(true);
  } else setTrainable(model, o.trainable);
  const frozenBlocks = o.cacheFrozen ? frozenPrefixBlocks(model) : 0;
  if (frozenBlocks > 0) {
    io.stderr(`computing the ${frozenBlocks} frozen blocks once for every example...\n`);
    await cacheFrozenBlocks(model, [data.train, data.val, data.test], frozenBlocks);
  }
  const params = model.parameters().filter((p) => p.requiresGrad);
  const optimizer = new AdamW(params, { lr: o.lr, weightDecay: o.weightDecay });
  const trainableParameters = model.numParameters({ trainableOnly: true });
  const parameters = model.numParameters();

  mkdirSync(o.out, { recursive: true });
  if (!loaded.fromDir || resolve(loaded.fromDir) !== resolve(o.out)) writeSplit(o.out, split);
  io.stderr(
    `classes: ${labels.join(', ')}; ${split.train.length} training, ${split.validation.length} validation, ${split.test.length} test examples of ${data.maxLength} tokens (split in ${o.out}/train.csv, validation.csv, test.csv)\n`,
  );
  io.stderr(
    `trainable: ${o.loraRank !== undefined ? `LoRA rank ${o.loraRank} alpha ${o.loraAlpha ?? o.loraRank} adapters + the head` : o.trainable}: ${trainableParameters.toLocaleString('en-US')} of ${parameters.toLocaleString('en-US')} parameters\n`,
  );
  const perEpoch = batchesPerEpoch(data.train, o.batchSize);
  const steps = Math.min(o.epochs * perEpoch, o.maxSteps ?? Infinity);
  const progress = new Progress(io, steps, 0);
  const interrupt = listenForInterrupt(io.handleSignals, (t) => progress.log(t), 'stopping');

  const trainStart = performance.now();
  let result;
  try {
    result = await trainClassifierSimple(
      model,
      optimizer,
      { train: data.train, val: data.val },
      {
        epochs: o.epochs,
        batchSize: o.batchSize,
        evalFreq: o.evalFreq,
        evalIter: o.evalIter,
        seed: o.seed,
        maxSteps: o.maxSteps,
      },
      {
        onStep: (r) => progress.step(r.step, r.loss, r.examplesSeen * data.maxLength),
        onEval: (r) =>
          progress.result(
            `Ep ${r.epoch} (Step ${String(r.step).padStart(6, '0')}): Train loss ${r.trainLoss.toFixed(3)}, Val loss ${r.valLoss.toFixed(3)}\n`,
          ),
        onEpochEnd: (r) =>
          progress.result(`Training accuracy: ${pct(r.trainAcc)} | Validation accuracy: ${pct(r.valAcc)}\n`),
        shouldStop: () => interrupt.requested,
      },
    );
  } finally {
    progress.stop();
    interrupt.dispose();
  }
  const trainingSeconds = (performance.now() - trainStart) / 1000;
  io.stdout(`Training completed in ${(trainingSeconds / 60).toFixed(2)} minutes.\n`);

  // Section 6.7: the accuracy over the whole of each part.
  const whole = (d: ClassificationDataset) => classificationBatches(d, o.batchSize);
  const accuracy = {
    train: calcAccuracyLoader(model, whole(data.train)),
    validation: calcAccuracyLoader(model, whole(data.val)),
    test: calcAccuracyLoader(model, whole(data.test)),
  };
  model.eval();
  const loss = {
    train: calcLossLoader(model, whole(data.train)),
    validation: calcLossLoader(model, whole(data.val)),
    test: calcLossLoader(model, whole(data.test)),
  };
  io.stdout(`Training accuracy: ${pct(accuracy.train)}\n`);
  io.stdout(`Validation accuracy: ${pct(accuracy.validation)}\n`);
  io.stdout(`Test accuracy: ${pct(accuracy.test)}\n`);

  // The adapters folded into the weights: the classifier saves as an ordinary one.
  if (o.loraRank !== undefined) mergeLoRA(model);
  saveClassifierDir(o.out, model, labels, { maxLength: data.maxLength });

  const { history } = result;
  const plots: string[] = [];
  const lossHistory = {
    steps: history.steps,
    tokensSeen: history.examplesSeen,
    trainLosses: history.trainLosses,
    valLosses: history.valLosses,
  };
  const accHistory = {
    steps: history.epochExamplesSeen.map((_, i) => i + 1),
    tokensSeen: history.epochExamplesSeen,
    trainLosses: history.trainAccs,
    valLosses: history.valAccs,
  };
  const chart = lossPlotAscii(lossHistory, 10, 60, LOSS_LABELS, colorEnabled(process.stderr));
  if (chart) io.stderr(chart + '\n');
  if (o.plot) {
    const title = `${labels.join(' / ')}: ${o.trainable}, ${model.config.nLayers} layers, ${model.config.embDim} dims`;
    if (history.steps.length >= 2) {
      plots.push(join(o.out, 'loss.png'));
      writeFileSync(plots.at(-1)!, await lossPlotPng(lossHistory, `Loss (${title})`, LOSS_LABELS));
    }
    if (history.trainAccs.length >= 2) {
      plots.push(join(o.out, 'accuracy.png'));
      writeFileSync(plots.at(-1)!, await lossPlotPng(accHistory, `Accuracy (${title})`, ACC_LABELS));
    }
  }
  const summary: FinetuneSummary = {
    status: result.status,
    labels,
    counts: { train: data.train.length, validation: data.val.length, test: data.test.length },
    emptySkipped: loaded.emptySkipped,
    truncated: data.truncated,
    maxLength: data.maxLength,
    trainableParameters,
    parameters,
    steps: result.steps,
    examplesSeen: result.examplesSeen,
    trainingSeconds,
    seconds: (performance.now() - started) / 1000,
    accuracy,
    loss,
    history,
    out: o.out,
    plots,
  };
  writeFileSync(join(o.out, 'metrics.json'), JSON.stringify({ options: o, ...summary }, null, 1) + '\n');
  io.stderr(
    `classifier saved in ${o.out} (model.safetensors, config.json)${plots.length ? `; plots ${plots.join(', ')}` : ''}; try: llm-scratch classify --model ${o.out} "TEXT"\n`,
  );
  return summary;
}
