// Options that every training command (train, finetune-instruct, finetune-classifier, dpo) shares,
// each with the run's own defaults, so that their ranges and help read the same everywhere.
import { MATMUL_PRECISIONS, type MatmulPrecision } from '../tensor/precision.js';
import type { OptionSpec } from 'llm-scratch-core/cli/command';

export function evaluationOptions(d: { evalFreq: number; evalIter: number }) {
  return {
    'eval-freq': {
      type: 'integer',
      value: 'N',
      default: d.evalFreq,
      min: 1,
      description: 'evaluate every N steps',
    },
    'eval-iter': {
      type: 'integer',
      value: 'N',
      default: d.evalIter,
      min: 1,
      description: 'batches per evaluation',
    },
  } as const satisfies Record<string, OptionSpec>;
}

export function weightDecayOption(d: { weightDecay: number }) {
  return {
    'weight-decay': {
      type: 'number',
      value: 'W',
      default: d.weightDecay,
      min: 0,
      description: 'AdamW weight decay',
    },
  } as const satisfies Record<string, OptionSpec>;
}

export const PRECISION_OPTION = {
  precision: {
    type: 'string',
    value: 'f32|bf16',
    choices: MATMUL_PRECISIONS,
    default: 'f32',
    description:
      'bf16: mixed precision, the matrix products in bfloat16 with float32 accumulation (weights, gradients, optimizer state and checkpoints stay float32)',
  },
} as const satisfies Record<string, OptionSpec>;

/** --precision as its type (its choices were checked by the option table). */
export const matmulPrecisionOption = (value: string) => value as MatmulPrecision;
