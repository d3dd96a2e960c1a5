// The defaults of instruction fine-tuning, its responses and DPO, apart from the runs so that the
// CLI's option tables read them without loading the tensor library.
import { dataPath } from '../../paths.js';

// The book's chapter-7 run: AdamW lr 5e-5, weight decay 0.1, batch 8, 2 epochs, evaluation every 5
// steps over 5 batches, torch seed 123, responses of up to 256 tokens.
export const INSTRUCT_DEFAULTS = {
  data: dataPath('instruction-data.json'),
  batchSize: 8,
  epochs: 2,
  lr: 5e-5,
  weightDecay: 0.1,
  evalFreq: 5,
  evalIter: 5,
  seed: 123,
  maxNewTokens: 256,
};

export const RESPONSES_FILE = 'instruction-data-with-response.json';

// The notebook's settings: beta 0.1, AdamW lr 5e-6 with weight decay 0.01, batch 8, 1 epoch,
// evaluation every 5 steps over 5 batches.
export const DPO_DEFAULTS = {
  data: dataPath('instruction-data-with-preference.json'),
  beta: 0.1,
  lr: 5e-6,
  weightDecay: 0.01,
  batchSize: 8,
  epochs: 1,
  evalFreq: 5,
  evalIter: 5,
  seed: 123,
};
