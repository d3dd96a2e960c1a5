import { Interrupted, UsageError } from '../../errors.js';
import { DPO_DEFAULTS as d } from '../../llm/instruct/defaults.js';
import { checkAtLeastOne } from '../args.js';
import { defineCommand } from '../command.js';

export const dpoCommand = defineCommand({
  name: 'dpo',
  summary: "Align an instruction-tuned model with preference pairs by DPO (the book's chapter-7 bonus)",
  usage: '--model DIR [--data FILE] [--beta B] [--out DIR] [options]',
  options: {
    model: {
      type: 'string',
      value: 'DIR',
      description: 'instruction-tuned model (also the frozen reference)',
    },
    data: {
      type: 'string',
      value: 'FILE',
      default: d.data,
      description: 'JSON or JSONL records with instruction, input, chosen, rejected (split 85/10/5)',
    },
    beta: {
      type: 'number',
      value: 'B',
      default: d.beta,
      description: 'how far the policy may move from the reference',
    },
    lr: { type: 'number', value: 'LR', default: d.lr, description: 'AdamW learning rate' },
    'weight-decay': { type: 'number', value: 'W', default: d.weightDecay, description: 'AdamW weight decay' },
    'batch-size': { type: 'integer', value: 'B', default: d.batchSize, description: 'pairs per step' },
    epochs: { type: 'integer', value: 'E', default: d.epochs, description: 'passes over the training pairs' },
    'max-steps': { type: 'integer', value: 'N', description: 'stop after N steps' },
    'eval-freq': { type: 'integer', value: 'N', default: d.evalFreq, description: 'evaluate every N steps' },
    'eval-iter': { type: 'integer', value: 'N', default: d.evalIter, description: 'batches per evaluation' },
    'grad-clip': { type: 'number', value: 'C', description: 'clip the global gradient norm to C' },
    'allowed-max-length': {
      type: 'integer',
      value: 'N',
      description: "cut pairs to N tokens (default: the model's context length)",
    },
    seed: { type: 'integer', value: 'S', default: d.seed, description: 'seeds the order of the pairs' },
    out: {
      type: 'string',
      value: 'DIR',
      default: 'runs/dpo',
      description: 'model/ and dpo.json (the history)',
    },
    'no-progress': { type: 'boolean', description: 'no progress bar' },
    json: { type: 'boolean', description: 'print the summary as JSON' },
  },
  examples: ['llm-scratch dpo --model runs/instruct/model --beta 0.1 --max-steps 50 --out runs/dpo'],
  async run({ options: o, positionals, stdout, stderr }) {
    // Loaded here, so that other commands start without them.
    const { trainDPO } = await import('../../llm/instruct/dpo-train.js');
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (!o.model) throw new UsageError('--model is required');
    checkAtLeastOne({
      'batch-size': o['batch-size'],
      epochs: o.epochs,
      'eval-freq': o['eval-freq'],
      'eval-iter': o['eval-iter'],
      'max-steps': o['max-steps'],
      'allowed-max-length': o['allowed-max-length'],
    });
    if (!(o.beta > 0)) throw new UsageError('--beta must be positive');
    if (!(o.lr > 0)) throw new UsageError('--lr must be positive');
    const s = await trainDPO(
      {
        model: o.model,
        data: o.data,
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
