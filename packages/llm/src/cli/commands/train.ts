import { Interrupted, UsageError } from 'llm-scratch-core/errors';
import { BOOK_DEFAULTS } from '../../llm/train/defaults.js';
import { PRESETS } from '../../llm/presets.js';
import { SEED_RANGE } from '../args.js';
import { defineCommand } from 'llm-scratch-core/cli/command';
import { withMatmulPrecision } from '../../tensor/precision.js';
import {
  evaluationOptions,
  matmulPrecisionOption,
  PRECISION_OPTION,
  weightDecayOption,
} from '../training-options.js';
import { requireFile, requireOutputDir, requireOutputFile } from 'llm-scratch-core/cli/file-checks';
import { resolveModelDir } from '../model-dir.js';
import { checkModelBounds, readModelSize } from '../model-limits.js';

const d = BOOK_DEFAULTS;

export const trainCommand = defineCommand({
  name: 'train',
  summary: "Pretrain a GPT on text files or token shards (the book's chapter 5), with checkpoints and resume",
  usage: '--data FILE... [--config PRESET | --init DIR | --resume DIR] [options]',
  options: {
    data: {
      type: 'strings',
      value: 'FILE...',
      required: true,
      description: "text files or 'prepare'd token shards",
    },
    config: {
      type: 'string',
      value: 'PRESET',
      choices: Object.keys(PRESETS),
      description: `model preset (default: ${d.config})`,
    },
    init: {
      type: 'string',
      value: 'DIR',
      description: 'start from the weights of a model directory (HF layout) or a run directory',
    },
    resume: {
      type: 'string',
      value: 'DIR',
      description: 'continue a run from its checkpoint or --out directory (the model comes from there)',
    },
    'context-length': {
      type: 'integer',
      value: 'T',
      min: 1,
      description: `tokens per window (default: the model's, at most ${d.maxContextLength})`,
    },
    stride: { type: 'integer', value: 'S', min: 1, description: 'tokens between window starts (default: T)' },
    'batch-size': {
      type: 'integer',
      value: 'B',
      default: d.batchSize,
      min: 1,
      description: 'windows per step',
    },
    epochs: {
      type: 'integer',
      value: 'E',
      default: d.epochs,
      min: 1,
      description: 'passes over the training data',
    },
    'max-steps': { type: 'integer', value: 'N', min: 1, description: 'stop after N optimizer steps in all' },
    lr: {
      type: 'number',
      value: 'LR',
      default: d.lr,
      above: 0,
      description: 'AdamW learning rate (the peak with a schedule)',
    },
    ...weightDecayOption(d),
    ...PRECISION_OPTION,
    'no-decay-norms': {
      type: 'boolean',
      description: 'no weight decay on biases and LayerNorm parameters (the book decays all)',
    },
    'warmup-steps': {
      type: 'integer',
      value: 'N',
      default: 0,
      min: 0,
      description: 'linear warmup steps, then cosine decay (appendix D)',
    },
    'initial-lr': {
      type: 'number',
      value: 'LR',
      min: 0,
      description: 'where the warmup starts (default: 0)',
    },
    'min-lr': {
      type: 'number',
      value: 'LR',
      min: 0,
      description: 'cosine decay to this rate (turns the schedule on)',
    },
    'grad-clip': {
      type: 'number',
      value: 'C',
      above: 0,
      description: 'clip the global gradient norm to C after the warmup',
    },
    'drop-rate': {
      type: 'number',
      value: 'P',
      min: 0,
      below: 1,
      description: "dropout (default: the config's, 0.1 for presets)",
    },
    ...evaluationOptions(d),
    'train-ratio': {
      type: 'number',
      value: 'R',
      default: d.trainRatio,
      above: 0,
      below: 1,
      description: 'share of the data for training',
    },
    'no-shuffle': { type: 'boolean', description: 'visit the training windows in order' },
    seed: {
      type: 'integer',
      value: 'S',
      default: d.seed,
      ...SEED_RANGE,
      description: 'seeds the weights, dropout and data order',
    },
    out: {
      type: 'string',
      value: 'DIR',
      default: 'runs/train',
      description: 'checkpoint, samples and loss plot',
    },
    'log-json': { type: 'string', value: 'FILE', description: 'one JSON line per step and per evaluation' },
    'checkpoint-every': {
      type: 'integer',
      value: 'N',
      default: 0,
      min: 0,
      description: 'also save a checkpoint every N steps (always at the end and on Ctrl-C)',
    },
    'start-context': {
      type: 'string',
      value: 'TEXT',
      default: d.startContext,
      description: 'prompt of the sample printed after each epoch',
    },
    'sample-tokens': {
      type: 'integer',
      value: 'N',
      default: d.sampleTokens,
      min: 0,
      description: 'tokens per sample',
    },
    'no-plot': { type: 'boolean', description: 'skip the loss plot PNG' },
    'no-progress': { type: 'boolean', description: 'no progress bar' },
  },
  examples: [
    'llm-scratch train --data data/the-verdict.txt --config gpt2-mini --epochs 10 --out runs/mini',
    "llm-scratch train --data data/the-verdict.txt --out runs/book   # the book's chapter-5 run",
    'llm-scratch train --data data/the-verdict.txt --resume runs/book --out runs/book',
    'llm-scratch generate --model runs/book/checkpoint --prompt "Every effort moves you"',
  ],
  async run({ options: o, positionals, stdout, stderr }) {
    // Loaded here, so that other commands start without them.
    const { pretrain } = await import('../../llm/train/run.js');
    const { resolveCheckpoint } = await import('../../llm/train/checkpoint.js');
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const data = o.data.map((file) => requireFile('data', file));
    const init = o.init !== undefined ? resolveModelDir(o.init, 'init') : undefined;
    // The model of a resumed run is its checkpoint's.
    const modelDir = o.resume !== undefined ? resolveCheckpoint(o.resume) : init;
    if (modelDir !== undefined)
      checkModelBounds(readModelSize(modelDir), { lengths: { 'context-length': o['context-length'] } });
    requireOutputDir('out', o.out);
    if (o['log-json'] !== undefined) requireOutputFile('log-json', o['log-json']);
    const drop = o['drop-rate'];
    const run = await withMatmulPrecision(matmulPrecisionOption(o.precision), () =>
      pretrain(
        {
          data,
          config: o.config,
          init,
          resume: o.resume,
          contextLength: o['context-length'],
          stride: o.stride,
          dropRate: drop,
          batchSize: o['batch-size'],
          epochs: o.epochs,
          maxSteps: o['max-steps'],
          lr: o.lr,
          weightDecay: o['weight-decay'],
          decayAll: !o['no-decay-norms'],
          warmupSteps: o['warmup-steps'],
          initialLr: o['initial-lr'],
          minLr: o['min-lr'],
          gradClip: o['grad-clip'],
          evalFreq: o['eval-freq'],
          evalIter: o['eval-iter'],
          shuffle: !o['no-shuffle'],
          seed: o.seed,
          trainRatio: o['train-ratio'],
          out: o.out,
          logJson: o['log-json'],
          checkpointEvery: o['checkpoint-every'],
          startContext: o['start-context'],
          sampleTokens: o['sample-tokens'],
          plot: !o['no-plot'],
        },
        { stdout, stderr, progressBar: !o['no-progress'], handleSignals: true },
      ),
    );
    if (run.status === 'stopped')
      throw new Interrupted(`interrupted; the checkpoint is in ${run.checkpoint}`);
  },
});
