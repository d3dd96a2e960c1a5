// Chapter 6: fine-tuning for classification. The pieces live in finetune/: the email parser
// (email.ts), the data loaders, balancing and split (data.ts), the training loop, loss and accuracy
// (train.ts) and the end-to-end run behind `llm-scratch finetune-classifier` (run.ts); the
// classification head, classifyTexts and the classifier directory are in classifier.ts.
export * from './finetune/email.js';
export * from './finetune/data.js';
export * from './finetune/train.js';
export * from './finetune/run.js';
export * from './classifier.js';
