import { join } from 'node:path';
import { Interrupted, UsageError } from 'llm-scratch-core/errors';
import { INSTRUCT_DEFAULTS as d } from '../../llm/instruct/defaults.js';
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

export const finetuneInstructCommand = defineCommand({
  name: 'finetune-instruct',
  summary: "Fine-tune a GPT to follow Alpaca-style instructions (the book's chapter 7), optionally with LoRA",
  usage: '(--model DIR | --resume DIR) [--data FILE] [options]',
  options: {
    model: {
      type: 'string',
      value: 'DIR',
      description: 'pretrained model directory (or a train run directory) to start from',
    },
    resume: {
      type: 'string',
      value: 'DIR',
      description: 'continue a run from its checkpoint or --out directory',
    },
    data: {
      type: 'string',
      value: 'FILE',
      description:
        "JSON or JSONL records with instruction, input, output, split 85/10/5 (default: the package's data/instruction-data.json)",
    },
    'allowed-max-length': {
      type: 'integer',
      value: 'N',
      min: 1,
      description: "cut examples to N tokens (default: the model's context length)",
    },
    'lora-rank': {
      type: 'integer',
      value: 'R',
      min: 1,
      description: 'train LoRA adapters of rank R instead of all weights',
    },
    'lora-alpha': { type: 'number', value: 'A', above: 0, description: 'LoRA scale (default: the rank)' },
    'lora-scale-by-rank': {
      type: 'boolean',
      description: 'scale the LoRA update by alpha/rank (the printed book uses alpha)',
    },
    'batch-size': {
      type: 'integer',
      value: 'B',
      default: d.batchSize,
      min: 1,
      description: 'examples per step',
    },
    epochs: {
      type: 'integer',
      value: 'E',
      default: d.epochs,
      min: 1,
      description: 'passes over the training examples',
    },
    'max-steps': { type: 'integer', value: 'N', min: 1, description: 'stop after N optimizer steps in all' },
    lr: { type: 'number', value: 'LR', default: d.lr, above: 0, description: 'AdamW learning rate' },
    ...weightDecayOption(d),
    ...PRECISION_OPTION,
    'warmup-steps': {
      type: 'integer',
      value: 'N',
      default: 0,
      min: 0,
      description: 'linear warmup, then cosine decay',
    },
    'min-lr': {
      type: 'number',
      value: 'LR',
      min: 0,
      description: 'cosine decay to this rate (turns the schedule on)',
    },
    'grad-clip': { type: 'number', value: 'C', above: 0, description: 'clip the global gradient norm to C' },
    'drop-rate': {
      type: 'number',
      value: 'P',
      min: 0,
      below: 1,
      description: "dropout (default: the model's)",
    },
    ...evaluationOptions(d),
    seed: {
      type: 'integer',
      value: 'S',
      default: d.seed,
      ...SEED_RANGE,
      description: 'seeds dropout, LoRA and data order',
    },
    out: {
      type: 'string',
      value: 'DIR',
      default: 'runs/instruct',
      description: 'checkpoint, model, responses',
    },
    'log-json': { type: 'string', value: 'FILE', description: 'one JSON line per step and per evaluation' },
    'checkpoint-every': {
      type: 'integer',
      value: 'N',
      default: 0,
      min: 0,
      description: 'also checkpoint every N steps (0: only at the end and on Ctrl-C)',
    },
    'max-new-tokens': {
      type: 'integer',
      value: 'N',
      default: d.maxNewTokens,
      min: 1,
      description: 'longest test response',
    },
    'respond-limit': {
      type: 'integer',
      value: 'N',
      min: 1,
      description: 'answer only the first N test entries',
    },
    'no-respond': { type: 'boolean', description: 'skip the test-set responses' },
    'no-plot': { type: 'boolean', description: 'skip the loss plot PNG' },
    'no-progress': { type: 'boolean', description: 'no progress bar' },
    json: { type: 'boolean', description: 'print the summary as JSON' },
  },
  examples: [
    'llm-scratch finetune-instruct --model runs/brown-mini/checkpoint --allowed-max-length 128 --out runs/instruct',
    'llm-scratch finetune-instruct --model runs/brown-mini/checkpoint --lora-rank 16 --lr 1e-4 --out runs/instruct-lora',
    'llm-scratch respond --model runs/instruct/model --out runs/instruct/responses.json',
  ],
  async run({ options: o, positionals, stdout, stderr }) {
    // Loaded here, so that other commands start without them.
    const { finetuneInstruct } = await import('../../llm/instruct/finetune.js');
    const { resolveCheckpoint } = await import('../../llm/train/checkpoint.js');
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (o['lora-alpha'] !== undefined && o['lora-rank'] === undefined)
      throw new UsageError('--lora-alpha needs --lora-rank');
    const drop = o['drop-rate'];
    const rank = o['lora-rank'];
    const data = requireFile('data', o.data ?? d.data);
    requireOutputDir('out', o.out);
    if (o['log-json'] !== undefined) requireOutputFile('log-json', o['log-json']);
    const model = o.model !== undefined ? resolveModelDir(o.model) : undefined;
    // The model of a resumed run is its checkpoint's.
    const modelDir = o.resume !== undefined ? resolveCheckpoint(o.resume) : model;
    if (modelDir !== undefined)
      checkModelBounds(readModelSize(modelDir), {
        lengths: { 'allowed-max-length': o['allowed-max-length'] },
      });
    const summary = await withMatmulPrecision(matmulPrecisionOption(o.precision), () =>
      finetuneInstruct(
        {
          model,
          resume: o.resume,
          data,
          allowedMaxLength: o['allowed-max-length'],
          dropRate: drop,
          lora:
            rank !== undefined
              ? { rank, alpha: o['lora-alpha'] ?? rank, scaleByRank: o['lora-scale-by-rank'] ?? false }
              : undefined,
          batchSize: o['batch-size'],
          epochs: o.epochs,
          maxSteps: o['max-steps'],
          lr: o.lr,
          weightDecay: o['weight-decay'],
          decayAll: true,
          warmupSteps: o['warmup-steps'],
          minLr: o['min-lr'],
          gradClip: o['grad-clip'],
          evalFreq: o['eval-freq'],
          evalIter: o['eval-iter'],
          shuffle: true,
          seed: o.seed,
          out: o.out,
          logJson: o['log-json'],
          checkpointEvery: o['checkpoint-every'],
          plot: !o['no-plot'],
          respond: !o['no-respond'],
          respondLimit: o['respond-limit'],
          maxNewTokens: o['max-new-tokens'],
        },
        // With --json, stdout holds the summary only: the evaluation lines go to stderr.
        { stdout: o.json ? stderr : stdout, stderr, progressBar: !o['no-progress'], handleSignals: true },
      ),
    );
    if (o.json) stdout(JSON.stringify(summary) + '\n');
    else
      stdout(
        `validation loss ${summary.firstValLoss.toFixed(3)} -> ${summary.lastValLoss.toFixed(3)}; ${summary.trainable.toLocaleString('en-US')} of ${summary.total.toLocaleString('en-US')} parameters trained; ${summary.seconds.toFixed(1)} s${summary.modelDir ? `; model ${summary.modelDir}` : ''}${summary.responsesFile ? `; responses ${summary.responsesFile}` : ''}\n`,
      );
    if (summary.status === 'stopped')
      throw new Interrupted(`interrupted; the checkpoint is in ${join(o.out, 'checkpoint')}`);
  },
});
