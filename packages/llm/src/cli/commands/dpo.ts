import { Interrupted, UsageError } from 'llm-scratch-core/errors';
import { DPO_DEFAULTS as d } from '../../llm/instruct/defaults.js';
import { SEED_RANGE } from '../args.js';
import { defineCommand } from 'llm-scratch-core/cli/command';
import { withMatmulPrecision } from '../../tensor/precision.js';
import {
  evaluationOptions,
  matmulPrecisionOption,
  PRECISION_OPTION,
  weightDecayOption,
} from '../training-options.js';
import { requireFile, requireOutputDir } from 'llm-scratch-core/cli/file-checks';
import { resolveModelDir } from '../model-dir.js';
import { checkModelBounds, readModelSize } from '../model-limits.js';

export const dpoCommand = defineCommand({
  name: 'dpo',
  summary: "Align an instruction-tuned model with preference pairs by DPO (the book's chapter-7 bonus)",
  usage: '--model DIR [--data FILE] [--beta B] [--out DIR] [options]',
  options: {
    model: {
      type: 'string',
      value: 'DIR',
      required: true,
      description:
        'instruction-tuned model (also the frozen reference), or a finetune-instruct run directory',
    },
    data: {
      type: 'string',
      value: 'FILE',
      description:
        "JSON or JSONL records with instruction, input, chosen, rejected, split 85/10/5 (default: the package's data/instruction-data-with-preference.json)",
    },
    beta: {
      type: 'number',
      value: 'B',
      default: d.beta,
      above: 0,
      description: 'how far the policy may move from the reference',
    },
    lr: { type: 'number', value: 'LR', default: d.lr, above: 0, description: 'AdamW learning rate' },
    ...weightDecayOption(d),
    ...PRECISION_OPTION,
    'batch-size': {
      type: 'integer',
      value: 'B',
      default: d.batchSize,
      min: 1,
      description: 'pairs per step',
    },
    epochs: {
      type: 'integer',
      value: 'E',
      default: d.epochs,
      min: 1,
      description: 'passes over the training pairs',
    },
    'max-steps': { type: 'integer', value: 'N', min: 1, description: 'stop after N steps' },
    ...evaluationOptions(d),
    'grad-clip': { type: 'number', value: 'C', above: 0, description: 'clip the global gradient norm to C' },
    'allowed-max-length': {
      type: 'integer',
      value: 'N',
      min: 1,
      description: "cut pairs to N tokens (default: the model's context length)",
    },
    seed: {
      type: 'integer',
      value: 'S',
      default: d.seed,
      ...SEED_RANGE,
      description: 'seeds the order of the pairs',
    },
    out: {
      type: 'string',
      value: 'DIR',
      default: 'runs/dpo',
      description: 'model/ and dpo.json (the history)',
    },
    'no-progress': { type: 'boolean', description: 'no progress bar' },
    json: { type: 'boolean', description: 'print the summary as JSON' },
  },
  examples: ['llm-scratch dpo --model runs/instruct --beta 0.1 --max-steps 50 --out runs/dpo'],
  async run({ options: o, positionals, stdout, stderr }) {
    // Loaded here, so that other commands start without them.
    const { trainDPO } = await import('../../llm/instruct/dpo-train.js');
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const data = requireFile('data', o.data ?? d.data);
    requireOutputDir('out', o.out);
    const model = resolveModelDir(o.model);
    checkModelBounds(readModelSize(model), { lengths: { 'allowed-max-length': o['allowed-max-length'] } });
    const s = await withMatmulPrecision(matmulPrecisionOption(o.precision), () =>
      trainDPO(
        {
          model,
          data,
          beta: o.beta,
          lr: o.lr,
          weightDecay: o['weight-decay'],
          batchSize: o['batch-size'],
          epochs: o.epochs,
          maxSteps: o['max-steps'],
          evalFreq: o['eval-freq'],
          evalIter: o['eval-iter'],
          gradClip: o['grad-clip'],
          allowedMaxLength: o['allowed-max-length'],
          seed: o.seed,
          out: o.out,
        },
        // With --json, stdout holds the summary only: the evaluation lines go to stderr.
        { stdout: o.json ? stderr : stdout, stderr, progressBar: !o['no-progress'], handleSignals: true },
      ),
    );
    if (o.json) stdout(JSON.stringify(s) + '\n');
    else
      stdout(
        `held-out pairs: reward accuracy ${(100 * s.before.accuracy).toFixed(1)}% -> ${(100 * s.after.accuracy).toFixed(1)}%, margin ${s.before.margin.toFixed(3)} -> ${s.after.margin.toFixed(3)}, loss ${s.before.loss.toFixed(3)} -> ${s.after.loss.toFixed(3)}; ${s.steps} steps in ${s.seconds.toFixed(1)} s; model ${s.modelDir}\n`,
      );
    if (s.status === 'stopped')
      throw new Interrupted(`interrupted; the model trained so far is in ${s.modelDir}`);
  },
});
