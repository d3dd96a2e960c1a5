// Classification fine-tuning's defaults, apart from the run so that the CLI's option table reads
// them without loading the tensor library.
import type { Trainable } from './train.js';

export const TRAINABLE: readonly Trainable[] = ['last-block', 'all', 'head'];

// Chapter 6's settings: AdamW lr 5e-5, weight decay 0.1, 5 epochs of batch 8, evaluation every 50
// steps over 5 batches, dropout 0, seed 123, a 70/10/20 split.
export const CLASSIFIER_DEFAULTS = {
  epochs: 5,
  batchSize: 8,
  lr: 5e-5,
  weightDecay: 0.1,
  evalFreq: 50,
  evalIter: 5,
  dropRate: 0,
  seed: 123,
  trainFrac: 0.7,
  valFrac: 0.1,
  trainable: 'last-block' as Trainable,
};
