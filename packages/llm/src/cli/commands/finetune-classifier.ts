import { Interrupted, UsageError } from 'llm-scratch-core/errors';
import type { DataFormat } from '../../llm/finetune/data.js';
import { CLASSIFIER_DEFAULTS, TRAINABLE } from '../../llm/finetune/defaults.js';
import type { Trainable } from '../../llm/finetune/train.js';
import { PRESETS, presetConfig } from '../../llm/presets.js';
import { SEED_RANGE } from '../args.js';
import { defineCommand } from 'llm-scratch-core/cli/command';
import { withMatmulPrecision } from '../../tensor/precision.js';
import {
  evaluationOptions,
  matmulPrecisionOption,
  PRECISION_OPTION,
  weightDecayOption,
} from '../training-options.js';
import { requireOutputDir } from 'llm-scratch-core/cli/file-checks';
import { requireLabelledData } from '../labelled-data.js';
import { resolveModelDir } from '../model-dir.js';
import { checkModelBounds, readModelSize } from '../model-limits.js';

const d = CLASSIFIER_DEFAULTS;
const FORMATS: DataFormat[] = ['sms', 'csv', 'tsv', 'jsonl'];

export const finetuneClassifierCommand = defineCommand({
  name: 'finetune-classifier',
  summary: "Fine-tune a GPT to classify texts, e.g. spam (the book's chapter 6)",
  usage: '--data (spamassassin | FILE | SPLIT-DIR) (--model DIR | --config PRESET) [options]',
  options: {
    data: {
      type: 'string',
      value: 'SRC',
      required: true,
      description:
        "'spamassassin' (the npm corpus), a labelled file, or a directory with train.csv, validation.csv and test.csv from an earlier run",
    },
    format: {
      type: 'string',
      value: 'sms|csv|tsv|jsonl',
      choices: FORMATS,
      description:
        "the file's format (default: from its name; sms = the SMS Spam Collection's label<TAB>text)",
    },
    'text-column': { type: 'string', value: 'C', description: 'column or field of the text (default: text)' },
    'label-column': {
      type: 'string',
      value: 'C',
      description: 'column or field of the label (default: label)',
    },
    labels: {
      type: 'string',
      value: 'A,B,...',
      description: 'the class names in order; any other label is an error (default: the labels seen, sorted)',
    },
    model: {
      type: 'string',
      value: 'DIR',
      description: 'start from this model directory (or a train --out directory)',
    },
    config: {
      type: 'string',
      value: 'PRESET',
      choices: Object.keys(PRESETS),
      description: 'start from random weights of this preset instead',
    },
    'context-length': {
      type: 'integer',
      value: 'T',
      min: 1,
      description: "the context length of the --config model (default: the preset's)",
    },
    'max-length': {
      type: 'integer',
      value: 'N',
      min: 1,
      description:
        'pad and cut every text to N tokens (default: the longest training text, at most the context)',
    },
    trainable: {
      type: 'string',
      value: TRAINABLE.join('|'),
      default: d.trainable,
      choices: TRAINABLE,
      description:
        'what trains: the last block, final norm and head (the book), everything, or the head only',
    },
    'lora-rank': {
      type: 'integer',
      value: 'R',
      min: 1,
      description: 'train LoRA adapters of rank R instead (appendix E)',
    },
    'lora-alpha': {
      type: 'number',
      value: 'A',
      above: 0,
      description: 'LoRA scale alpha (default: the rank)',
    },
    epochs: {
      type: 'integer',
      value: 'E',
      default: d.epochs,
      min: 1,
      description: 'passes over the training data',
    },
    'batch-size': {
      type: 'integer',
      value: 'B',
      default: d.batchSize,
      min: 1,
      description: 'examples per step',
    },
    'max-steps': { type: 'integer', value: 'N', min: 1, description: 'stop after N optimizer steps' },
    lr: { type: 'number', value: 'LR', default: d.lr, above: 0, description: 'AdamW learning rate' },
    ...weightDecayOption(d),
    ...PRECISION_OPTION,
    'drop-rate': {
      type: 'number',
      value: 'P',
      default: d.dropRate,
      min: 0,
      below: 1,
      description: 'dropout while fine-tuning',
    },
    ...evaluationOptions(d),
    'no-balance': { type: 'boolean', description: 'keep every example (the book undersamples to balance)' },
    limit: {
      type: 'integer',
      value: 'N',
      min: 1,
      description: 'use at most N examples, the same number per class',
    },
    'train-frac': {
      type: 'number',
      value: 'F',
      default: d.trainFrac,
      above: 0,
      below: 1,
      description: 'share for training',
    },
    'val-frac': {
      type: 'number',
      value: 'F',
      default: d.valFrac,
      above: 0,
      below: 1,
      description: 'share for validation',
    },
    seed: {
      type: 'integer',
      value: 'S',
      default: d.seed,
      ...SEED_RANGE,
      description: 'seeds the split, head and data order',
    },
    out: {
      type: 'string',
      value: 'DIR',
      default: 'runs/classifier',
      description: 'the classifier, the split CSVs, plots and metrics.json',
    },
    json: { type: 'boolean', description: 'print the summary as JSON (the printout goes to stderr)' },
    'no-cache': {
      type: 'boolean',
      description: 'run the frozen blocks every step (by default their output is computed once per example)',
    },
    'no-plot': { type: 'boolean', description: 'skip the loss and accuracy PNGs' },
    'no-progress': { type: 'boolean', description: 'no progress bar' },
  },
  examples: [
    'llm-scratch finetune-classifier --data spamassassin --model runs/brown-mini --max-length 128 --out runs/spam',
    'llm-scratch finetune-classifier --data SMSSpamCollection.tsv --model path/to/gpt2 --out runs/sms',
    'llm-scratch finetune-classifier --data runs/spam --config gpt2-mini --trainable all --out runs/spam-random',
    'llm-scratch classify --model runs/spam "You are a winner! Claim your prize now"',
  ],
  async run({ options: o, positionals, stdout, stderr }) {
    // Loaded here, so that other commands start without them.
    const { finetuneClassifier } = await import('../../llm/finetune/run.js');
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (o['lora-alpha'] !== undefined && o['lora-rank'] === undefined)
      throw new UsageError('--lora-alpha needs --lora-rank');
    const labels = o.labels?.split(',').map((l) => l.trim());
    if (
      labels &&
      (labels.length < 2 || labels.some((l) => l === '') || new Set(labels).size !== labels.length)
    )
      throw new UsageError('--labels needs at least two different names, e.g. ham,spam');
    if (o.data !== 'spamassassin') requireLabelledData('data', o.data);
    requireOutputDir('out', o.out);
    const model = o.model !== undefined ? resolveModelDir(o.model) : undefined;
    const size =
      model !== undefined
        ? readModelSize(model)
        : o.config !== undefined
          ? {
              ...presetConfig(o.config),
              ...(o['context-length'] ? { contextLength: o['context-length'] } : {}),
            }
          : undefined;
    if (size) checkModelBounds(size, { lengths: { 'max-length': o['max-length'] } });
    const summary = await withMatmulPrecision(matmulPrecisionOption(o.precision), () =>
      finetuneClassifier(
        {
          data: o.data,
          format: o.format as DataFormat | undefined,
          textColumn: o['text-column'],
          labelColumn: o['label-column'],
          labels,
          model,
          config: o.config,
          contextLength: o['context-length'],
          maxLength: o['max-length'],
          trainable: o.trainable as Trainable,
          epochs: o.epochs,
          batchSize: o['batch-size'],
          maxSteps: o['max-steps'],
          lr: o.lr,
          weightDecay: o['weight-decay'],
          evalFreq: o['eval-freq'],
          evalIter: o['eval-iter'],
          dropRate: o['drop-rate'],
          seed: o.seed,
          balance: !o['no-balance'],
          limit: o.limit,
          trainFrac: o['train-frac'],
          valFrac: o['val-frac'],
          loraRank: o['lora-rank'],
          loraAlpha: o['lora-alpha'],
          out: o.out,
          plot: !o['no-plot'],
          cacheFrozen: !o['no-cache'],
        },
        {
          // With --json the book's printout goes to stderr and stdout carries only the summary.
          stdout: o.json ? stderr : stdout,
          stderr,
          progressBar: !o['no-progress'],
          handleSignals: true,
        },
      ),
    );
    if (o.json) {
      const { history: _history, ...rest } = summary;
      stdout(JSON.stringify(rest) + '\n');
    }
    if (summary.status === 'stopped')
      throw new Interrupted(`interrupted; the classifier trained so far is in ${o.out}`);
  },
});
