import { Interrupted, UsageError } from '../../errors.js';
import type { DataFormat } from '../../llm/finetune/data.js';
import { CLASSIFIER_DEFAULTS, TRAINABLE } from '../../llm/finetune/defaults.js';
import type { Trainable } from '../../llm/finetune/train.js';
import { checkAtLeastOne } from '../args.js';
import { defineCommand } from '../command.js';

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
      description:
        "'spamassassin' (the npm corpus), a labelled file, or a directory with train.csv, validation.csv and test.csv from an earlier run",
    },
    format: {
      type: 'string',
      value: 'sms|csv|tsv|jsonl',
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
      description: 'start from random weights of this preset instead',
    },
    'context-length': {
      type: 'integer',
      value: 'T',
      description: "the context length of the --config model (default: the preset's)",
    },
    'max-length': {
      type: 'integer',
      value: 'N',
      description:
        'pad and cut every text to N tokens (default: the longest training text, at most the context)',
    },
    trainable: {
      type: 'string',
      value: TRAINABLE.join('|'),
      default: d.trainable,
      description:
        'what trains: the last block, final norm and head (the book), everything, or the head only',
    },
    'lora-rank': {
      type: 'integer',
      value: 'R',
      description: 'train LoRA adapters of rank R instead (appendix E)',
    },
    'lora-alpha': { type: 'number', value: 'A', description: 'LoRA scale alpha (default: the rank)' },
    epochs: { type: 'integer', value: 'E', default: d.epochs, description: 'passes over the training data' },
    'batch-size': { type: 'integer', value: 'B', default: d.batchSize, description: 'examples per step' },
    'max-steps': { type: 'integer', value: 'N', description: 'stop after N optimizer steps' },
    lr: { type: 'number', value: 'LR', default: d.lr, description: 'AdamW learning rate' },
    'weight-decay': { type: 'number', value: 'W', default: d.weightDecay, description: 'AdamW weight decay' },
    'drop-rate': {
      type: 'number',
      value: 'P',
      default: d.dropRate,
      description: 'dropout while fine-tuning',
    },
    'eval-freq': { type: 'integer', value: 'N', default: d.evalFreq, description: 'evaluate every N steps' },
    'eval-iter': { type: 'integer', value: 'N', default: d.evalIter, description: 'batches per evaluation' },
    'no-balance': { type: 'boolean', description: 'keep every example (the book undersamples to balance)' },
    limit: { type: 'integer', value: 'N', description: 'use at most N examples, the same number per class' },
    'train-frac': { type: 'number', value: 'F', default: d.trainFrac, description: 'share for training' },
    'val-frac': { type: 'number', value: 'F', default: d.valFrac, description: 'share for validation' },
    seed: {
      type: 'integer',
      value: 'S',
      default: d.seed,
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
    if (!o.data) throw new UsageError('--data is required (spamassassin, a file, or a split directory)');
    if (o.format !== undefined && !FORMATS.includes(o.format as DataFormat))
      throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
    if (!TRAINABLE.includes(o.trainable as Trainable))
      throw new UsageError(`--trainable must be one of ${TRAINABLE.join(', ')}`);
    if (!(o.lr > 0)) throw new UsageError('--lr must be positive');
    if (o['weight-decay'] < 0) throw new UsageError('--weight-decay must be 0 or more');
    if (!(o['drop-rate'] >= 0 && o['drop-rate'] < 1)) throw new UsageError('--drop-rate must be in [0, 1)');
    checkAtLeastOne({ 'max-steps': o['max-steps'], limit: o.limit, 'lora-rank': o['lora-rank'] });
    if (o['lora-alpha'] !== undefined && o['lora-rank'] === undefined)
      throw new UsageError('--lora-alpha needs --lora-rank');
    const labels = o.labels?.split(',').map((l) => l.trim());
    if (
      labels &&
      (labels.length < 2 || labels.some((l) => l === '') || new Set(labels).size !== labels.length)
    )
      throw new UsageError('--labels needs at least two different names, e.g. ham,spam');
    const summary = await finetuneClassifier(
      {
        data: o.data,
        format: o.format as DataFormat | undefined,
        textColumn: o['text-column'],
        labelColumn: o['label-column'],
        labels,
        model: o.model,
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
    );
    if (o.json) {
      const { history: _history, ...rest } = summary;
      stdout(JSON.stringify(rest) + '\n');
    }
    if (summary.status === 'stopped')
      throw new Interrupted(`interrupted; the classifier trained so far is in ${o.out}`);
  },
});
