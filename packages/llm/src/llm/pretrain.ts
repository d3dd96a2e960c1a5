// Chapter 5: pretraining on unlabeled data. The chapter's pieces: the loss of a batch and of a
// loader (5.1.2-5.1.3), perplexity, evaluate_model, the text sample printed after each epoch, and the
// train/validation split of a text by a ratio. The training loop itself (train_model_simple, with
// appendix D's warmup, cosine decay and clipping, checkpoints and resume) is in train/loop.ts.
// Shapes: B batch, T tokens, V vocabulary.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { UserError } from 'llm-scratch-core/errors';
import { Linear } from '../nn/index.js';
import * as T from '../tensor/index.js';
import { noGrad, Tensor } from '../tensor/index.js';
import { gpt2Tokenizer, readTextFile, type BPETokenizer } from './fundamentals.js';
import { generate } from './generate.js';
import type { GPTModel } from './gpt.js';
import { ShardTokens, SHARD_MAGIC, type Batch, type GPTDatasetV1 } from './text.js';

// Section 5.1.2: mean cross-entropy of the next-token predictions of one batch. The head (no bias
// in GPT-2) and the cross-entropy run as one op over blocks of rows, so the (B*T, V) logits never
// live at once; the same loss and gradients as crossEntropy(model.forward(...)) within rounding.
export function calcLossBatch(model: GPTModel, batch: Batch): Tensor {
  const [B, Tn] = batch.shape;
  const ids = new Tensor(batch.inputs, [B, Tn]);
  const targets = new Tensor(batch.targets, [B * Tn]);
  // A head LoRA replaced, or one with a bias, goes the plain way.
  const head: unknown = model.out_head;
  if (!(head instanceof Linear) || head.bias)
    return T.crossEntropy(model.forward(ids).reshape([B * Tn, -1]), targets);
  const h = model.hidden(ids); // (B, T, C)
  return T.linearCrossEntropy(h.reshape([B * Tn, -1]), head.weight, targets);
}

// The mean loss over the first numBatches batches (all of them when not given), without gradients.
// NaN when there are no batches, as the book's calc_loss_loader.
export function calcLossLoader(model: GPTModel, batches: Iterable<Batch>, numBatches?: number): number {
  let total = 0;
  let n = 0;
  noGrad(() => {
    for (const batch of batches) {
      if (numBatches !== undefined && n >= numBatches) break;
      total += calcLossBatch(model, batch).item();
      n++;
    }
  });
  return n === 0 ? NaN : total / n;
}

// exp(loss): the number of tokens the model is as unsure among as a uniform guess would be.
export function perplexity(loss: number): number {
  return Math.exp(loss);
}

// The book's evaluate_model: both losses over evalIter batches in eval mode (no dropout).
export function evaluateModel(
  model: GPTModel,
  trainBatches: Iterable<Batch>,
  valBatches: Iterable<Batch>,
  evalIter: number,
): { trainLoss: number; valLoss: number } {
  const wasTraining = model.training;
  model.eval();
  try {
    return {
      trainLoss: calcLossLoader(model, trainBatches, evalIter),
      valLoss: calcLossLoader(model, valBatches, evalIter),
    };
  } finally {
    model.train(wasTraining);
  }
}

// The book's generate_and_print_sample: a greedy continuation of a start context, on one line.
export function sampleText(
  model: GPTModel,
  tokenizer: BPETokenizer,
  startContext: string,
  maxNewTokens = 50,
): string {
  const ids = tokenizer.encode(startContext, { allowedSpecial: ['<|endoftext|>'] });
  const out = generate(model, ids, { maxNewTokens, temperature: 0 });
  return tokenizer.decode([...ids, ...out]).replace(/\n/g, ' ');
}

// Batches of the windows at the given indices of a dataset: (B, T) inputs and targets.
export function makeBatch(dataset: GPTDatasetV1, indices: ArrayLike<number>): Batch {
  const Tn = dataset.maxLength;
  const inputs = new Int32Array(indices.length * Tn);
  const targets = new Int32Array(indices.length * Tn);
  for (let r = 0; r < indices.length; r++) {
    const { input, target } = dataset.get(indices[r]);
    inputs.set(input, r * Tn);
    targets.set(target, r * Tn);
  }
  return { inputs, targets, shape: [indices.length, Tn] };
}

// What the training loop draws batches from: a number of examples and the batch of any of them.
// Pretraining's sliding windows (GPTDatasetV1) are one; chapter 7's InstructionDataset is another.
export interface BatchSource {
  readonly length: number;
  batch(indices: ArrayLike<number>): Batch;
}

export function asBatchSource(data: GPTDatasetV1 | BatchSource): BatchSource {
  if ('batch' in data) return data;
  return { length: data.length, batch: (indices) => makeBatch(data, indices) };
}

// Every batch of a dataset in order (the last one smaller unless dropLast), for evaluation.
export function* orderedBatches(
  dataset: GPTDatasetV1 | BatchSource,
  batchSize: number,
  dropLast = false,
): Generator<Batch> {
  const source = asBatchSource(dataset);
  for (let start = 0; start < source.length; start += batchSize) {
    const end = Math.min(start + batchSize, source.length);
    if (dropLast && end - start < batchSize) return;
    yield source.batch(Int32Array.from({ length: end - start }, (_, i) => start + i));
  }
}

// ---- the corpus: text files or prepared token shards, split into training and validation ----

export interface Corpus {
  train: Int32Array;
  val: Int32Array;
  // 'text' files are split by characters before tokenizing (as the book splits its text), 'shards'
  // by tokens.
  kind: 'text' | 'shards';
  // Tokens before the split, for messages.
  totalTokens: number;
}

// A shard starts with its magic number; anything else is read as text.
function isShard(file: string): boolean {
  const head = Buffer.alloc(4);
  const fd = openSync(file, 'r');
  try {
    return readSync(fd, head, 0, 4, 0) === 4 && head.readUInt32LE(0) === SHARD_MAGIC;
  } finally {
    closeSync(fd);
  }
}

// Reads the data files and splits them. Text files are joined with <|endoftext|> between them; the
// first trainRatio of the characters (text) or tokens (shards) train, the rest validate.
export function loadCorpus(
  files: string[],
  trainRatio: number,
  tokenizer: BPETokenizer = gpt2Tokenizer(),
  warn?: (text: string) => void,
): Corpus {
  if (files.length === 0) throw new UserError('no data: give --data FILE...');
  if (!(trainRatio > 0 && trainRatio < 1))
    throw new UserError(`--train-ratio must be in (0, 1), got ${trainRatio}`);
  for (const file of files) {
    if (!existsSync(file)) throw new UserError(`cannot read ${file}: no such file`);
    if (statSync(file).isDirectory()) throw new UserError(`cannot read ${file}: is a directory`);
    if (statSync(file).size === 0) throw new UserError(`${file}: the file is empty`);
  }
  const shards = files.filter(isShard);
  if (shards.length > 0 && shards.length < files.length) {
    throw new UserError(
      '--data mixes token shards and text files: give one kind (prepare the text into a shard)',
    );
  }
  if (shards.length > 0) {
    const parts = shards.map((file) => {
      const s = new ShardTokens(file);
      try {
        if (s.header.vocabSize > tokenizer.vocabSize)
          throw new UserError(`${file}: made for a vocabulary of ${s.header.vocabSize} tokens`);
        return s.slice(0, s.length);
      } finally {
        s.close();
      }
    });
    const ids = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (ids.set(p, at), at + p.length), 0);
    const cut = Math.floor(trainRatio * ids.length);
    return { train: ids.subarray(0, cut), val: ids.subarray(cut), kind: 'shards', totalTokens: ids.length };
  }
  const text = files.map((f) => readTextFile(f, warn)).join('<|endoftext|>');
  if (text.trim() === '') throw new UserError(`${files.join(', ')}: no text`);
  // Section 5.1.3: split_idx = int(train_ratio * len(text_data)).
  const cut = Math.floor(trainRatio * text.length);
  const encode = (s: string) => Int32Array.from(tokenizer.encode(s, { allowedSpecial: ['<|endoftext|>'] }));
  const train = encode(text.slice(0, cut));
  const val = encode(text.slice(cut));
  return { train, val, kind: 'text', totalTokens: train.length + val.length };
}
