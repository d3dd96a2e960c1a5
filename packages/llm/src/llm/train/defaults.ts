// Pretraining's defaults, apart from the run itself so that the CLI's option table reads them
// without loading the tensor library.
// The chapter's settings: section 5.2's run (AdamW lr 4e-4, weight decay 0.1, GPT_CONFIG_124M with
// context 256 and dropout 0.1, batch 2, train ratio 0.9, eval every 5 steps over 5 batches, torch
// seed 123) with stride = context length.
export const BOOK_DEFAULTS = {
  config: 'gpt2-small',
  maxContextLength: 256,
  batchSize: 2,
  epochs: 10,
  lr: 4e-4,
  weightDecay: 0.1,
  dropRate: 0.1,
  trainRatio: 0.9,
  evalFreq: 5,
  evalIter: 5,
  seed: 123,
  startContext: 'Every effort moves you',
  sampleTokens: 50,
};
