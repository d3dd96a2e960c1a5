// Chapter 6's model changes: a GPT whose output head is replaced by a classification head,
// Linear(embDim, numClasses) with bias (section 6.5), read at the last token of the sequence (the one
// that attends to all others), the texts padded with <|endoftext|> (50256) to one length and cut to
// the context (section 6.3), and the classifier stored as Hugging Face's
// GPT2ForSequenceClassification.save_pretrained writes it: the transformer's tensors as saveModelDir
// names them (`transformer.` prefix) plus `score.weight` [numClasses, embDim], the head's bias folded
// into `transformer.ln_f.bias` (score-bias.ts; HF's score has no bias), and config.json with
// num_labels, id2label, label2id and pad_token_id.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from 'llm-scratch-core/errors';
import { writeFileAtomic } from 'llm-scratch-core/io/atomic';
import {
  checkGPT2Tensors,
  CONFIG_FILE,
  configFromHF,
  configToHF,
  BASE_MODEL_PREFIX,
  importGPT2,
  MODEL_FILE,
  modelWeightsFile,
  readConfigJson,
  saveableGPT2Tensors,
} from './families/gpt2.js';
import { foldScoreBias } from './score-bias.js';
import { FLOAT_DTYPES, readSafetensors, readSafetensorsHeader, writeSafetensors } from '../io/safetensors.js';
import { Linear } from '../nn/index.js';
import * as T from '../tensor/index.js';
import { globalRng, noGrad, type Rng, Tensor } from '../tensor/index.js';
import type { BPETokenizer } from './fundamentals.js';
import { GPTModel } from './gpt.js';

export const PAD_TOKEN_ID = 50256;

// A GPTModel whose out_head is Linear(embDim, numClasses) with bias: forward() gives (B, T, classes).
export type ClassifierModel = GPTModel;

// The padded length a classifier was trained with (the book's train_dataset.max_length), so that
// classifyTexts pads as training did; set by training and by loadClassifierDir.
const trainedLength = new WeakMap<GPTModel, number>();

export function setClassifierMaxLength(model: GPTModel, maxLength: number): void {
  trainedLength.set(model, maxLength);
}

export function classifierMaxLength(model: GPTModel): number {
  return trainedLength.get(model) ?? model.config.contextLength;
}

export function numClasses(model: ClassifierModel): number {
  return model.out_head.weight.shape[0];
}

// Section 6.5: model.out_head = torch.nn.Linear(emb_dim, num_classes), initialised as PyTorch does.
export function addClassificationHead(
  model: GPTModel,
  classes: number,
  options: { rng?: Rng } = {},
): ClassifierModel {
  if (!Number.isInteger(classes) || classes < 2)
    throw new UserError(`a classifier needs at least two classes, got ${classes}`);
  model.out_head = new Linear(model.config.embDim, classes, { rng: options.rng ?? globalRng });
  return model;
}

// Logits of the last token of each sequence: ids (B*T) int32 -> (B, classes).
export function classifierLogits(
  model: ClassifierModel,
  ids: Int32Array,
  batch: number,
  length: number,
): Tensor {
  const out = model.forward(new Tensor(ids, [batch, length]), { lastOnly: true }); // (B, 1, K)
  return out.reshape([batch, -1]);
}

// The hidden states after the first `blocks` transformer blocks: ids (B*T) -> (B, T, C). With those
// blocks frozen and no dropout they are a fixed function of the tokens (see finetune/train.ts).
export function hiddenAfterBlocks(
  model: GPTModel,
  ids: Int32Array,
  batch: number,
  length: number,
  blocks: number,
): Tensor {
  const positions = T.arange(0, length, 1, { dtype: 'int32' });
  let x = model.tok_emb.forward(new Tensor(ids, [batch, length])).add(model.pos_emb.forward(positions));
  x = model.drop_emb.forward(x);
  for (let i = 0; i < blocks; i++) x = model.trf_blocks.at(i).forward(x);
  return x;
}

// The rest of the classifier from those hidden states: blocks from `fromBlock` on, the final norm and
// the head at the last position -> (B, classes).
export function classifierLogitsFrom(model: ClassifierModel, hidden: Tensor, fromBlock: number): Tensor {
  let x = hidden;
  for (let i = fromBlock; i < model.trf_blocks.length; i++) x = model.trf_blocks.at(i).forward(x);
  const [B, Tn] = x.shape;
  x = x.narrow(1, Tn - 1, 1); // (B, 1, C)
  return model.out_head.forward(model.final_norm.forward(x)).reshape([B, -1]);
}

export interface EncodedTexts {
  // One id sequence per text, cut to the length.
  ids: Int32Array[];
  // Texts cut because they were longer than the length.
  truncated: number;
}

// Token ids of each text, cut to maxLength (at most the context length). A text is encoded as
// ordinary text throughout (an '<|endoftext|>' inside it is not the special token). Long texts are
// tokenized from a prefix first, which is enough whenever that prefix already fills the length.
export function encodeTexts(
  tokenizer: BPETokenizer,
  texts: readonly string[],
  maxLength: number,
): EncodedTexts {
  let truncated = 0;
  const enc = (s: string) => tokenizer.encode(s, { disallowedSpecial: [] });
  const ids = texts.map((text) => {
    const prefixChars = maxLength * 8;
    let tokens = text.length > prefixChars ? enc(text.slice(0, prefixChars)) : null;
    if (tokens && tokens.length <= maxLength) tokens = null;
    tokens ??= enc(text);
    if (tokens.length > maxLength) {
      truncated++;
      tokens = tokens.slice(0, maxLength);
    }
    return Int32Array.from(tokens);
  });
  return { ids, truncated };
}

// Sequences padded with 50256 at the end to `length`: (B*length) ids, row-major.
export function padBatch(seqs: readonly Int32Array[], length: number, padId = PAD_TOKEN_ID): Int32Array {
  const out = new Int32Array(seqs.length * length).fill(padId);
  seqs.forEach((s, r) => out.set(s.subarray(0, length), r * length));
  return out;
}

export interface Classification {
  label: string;
  probability: number;
  probabilities: Record<string, number>;
}

export interface ClassifyOptions {
  // Pad (and cut) every text to this many tokens; by default the length the classifier was trained
  // with, at most the context length (the book's classify_review).
  maxLength?: number;
  batchSize?: number;
}

// The book's classify_review for many texts: each cut to the length, padded with 50256, the softmax
// of the last token's logits; the label with the highest probability.
export function classifyTexts(
  model: ClassifierModel,
  labels: readonly string[],
  tokenizer: BPETokenizer,
  texts: readonly string[],
  opts: ClassifyOptions = {},
): Classification[] {
  const K = numClasses(model);
  if (labels.length !== K) throw new UserError(`${labels.length} label names for a head of ${K} classes`);
  const length = Math.min(opts.maxLength ?? classifierMaxLength(model), model.config.contextLength);
  const batchSize = Math.max(1, opts.batchSize ?? 16);
  const { ids } = encodeTexts(tokenizer, texts, length);
  const results: Classification[] = [];
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => {
      for (let start = 0; start < ids.length; start += batchSize) {
        const chunk = ids.slice(start, start + batchSize);
        const probs = classifierLogits(model, padBatch(chunk, length), chunk.length, length).softmax(-1);
        const p = probs.f32('classify');
        for (let r = 0; r < chunk.length; r++) {
          const row = Array.from(p.subarray(r * K, (r + 1) * K));
          let best = 0;
          for (let k = 1; k < K; k++) if (row[k] > row[best]) best = k;
          results.push({
            label: labels[best],
            probability: row[best],
            probabilities: Object.fromEntries(labels.map((l, k) => [l, row[k]])),
          });
        }
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return results;
}

// Several classifiers of the same classes as one: each text's class probabilities averaged over
// them (an ensemble), the label the class of the highest mean.
export function averageClassifications(
  perModel: readonly (readonly Classification[])[],
  labels: readonly string[],
): Classification[] {
  if (perModel.length === 0) throw new Error('averageClassifications: no classifications');
  return perModel[0].map((_, i) => {
    const probabilities = Object.fromEntries(
      labels.map((l) => [l, perModel.reduce((sum, r) => sum + r[i].probabilities[l], 0) / perModel.length]),
    );
    const label = labels.reduce((best, l) => (probabilities[l] > probabilities[best] ? l : best));
    return { label, probability: probabilities[label], probabilities };
  });
}

// ---- the classifier directory (HF GPT2ForSequenceClassification) ----

export interface ClassifierDirOptions {
  // The padded length it was trained with (default: what setClassifierMaxLength recorded).
  maxLength?: number;
}

export function saveClassifierDir(
  dir: string,
  model: ClassifierModel,
  labels: readonly string[],
  options: ClassifierDirOptions = {},
): void {
  const K = numClasses(model);
  if (labels.length !== K) throw new Error(`saveClassifierDir: ${labels.length} labels for ${K} classes`);
  if (new Set(labels).size !== labels.length) throw new Error('saveClassifierDir: label names repeat');
  const head = model.out_head;
  if (!head.bias) throw new Error('saveClassifierDir: the classification head has no bias');
  mkdirSync(dir, { recursive: true });
  const tensors = saveableGPT2Tensors(model);
  tensors.delete('lm_head.weight');
  tensors.set('score.weight', head.weight);
  // A zero bias is no bias; any other is folded into the final norm's shift, and kept as
  // `score.bias` (which transformers would drop) only where no exact fold exists.
  const bias = head.bias.f32('score.bias');
  if (bias.some((v) => v !== 0)) {
    const folded = foldScoreBias(head.weight, head.bias, model.final_norm.shift);
    if (folded) tensors.set(`${BASE_MODEL_PREFIX}ln_f.bias`, new Tensor(folded, [folded.length]));
    else tensors.set('score.bias', head.bias);
  }
  writeSafetensors(join(dir, MODEL_FILE), tensors, { format: 'pt' });
  const base = configToHF(model.config, 'classifier');
  const maxLength = options.maxLength ?? trainedLength.get(model);
  const config = {
    ...base,
    architectures: ['GPT2ForSequenceClassification'],
    // The head is separate; nothing to tie.
    tie_word_embeddings: false,
    num_labels: K,
    id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
    // GPT2ForSequenceClassification needs it to batch; it then reads the last token that is not
    // padding, where ours reads the last position of the padded text (llm_scratch.classifier).
    pad_token_id: PAD_TOKEN_ID,
    llm_scratch: {
      ...(base.llm_scratch as Record<string, unknown>),
      // Our classifier reads the last position (padding included), as the book does; transformers'
      // GPT2ForSequenceClassification would look for the last non-pad token instead.
      classifier: { maxLength, padTokenId: PAD_TOKEN_ID, position: 'last' },
    },
  };
  writeFileAtomic(join(dir, CONFIG_FILE), [JSON.stringify(config, null, 2) + '\n']);
}

interface ClassifierHFConfig {
  id2label?: Record<string, string>;
  num_labels?: number;
  llm_scratch?: { classifier?: { maxLength?: number } };
}

export function loadClassifierDir(dir: string): {
  model: ClassifierModel;
  labels: string[];
  maxLength: number;
} {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UserError(
      `${dir}: not a classifier directory (expected ${MODEL_FILE} and ${CONFIG_FILE} inside)`,
    );
  const { config: hf, path: configPath } = readConfigJson<
    ClassifierHFConfig & Parameters<typeof configFromHF>[0]
  >(dir);
  const config = configFromHF(hf, configPath);
  config.tieWeights = true; // no lm_head to read: the score head replaces it
  const id2label = hf.id2label;
  if (!id2label || typeof id2label !== 'object')
    throw new UserError(`${configPath}: no id2label: not a classifier (train one with finetune-classifier)`);
  const K = Object.keys(id2label).length;
  const labels = Array.from({ length: K }, (_, i) => {
    const l = id2label[String(i)];
    if (typeof l !== 'string') throw new UserError(`${configPath}: id2label has no entry '${i}'`);
    return l;
  });
  const weights = modelWeightsFile(dir);
  // The header is checked against the config before any tensor is read.
  const header = readSafetensorsHeader(weights).tensors;
  const head = { weight: header.get('score.weight'), bias: header.get('score.bias') };
  if (!head.weight) throw new UserError(`${weights}: no 'score.weight': not a classifier`);
  for (const [name, info, shape] of [
    ['score.weight', head.weight, [K, config.embDim]],
    ['score.bias', head.bias, [K]],
  ] as const) {
    if (!info) continue;
    if (!FLOAT_DTYPES.includes(info.dtype))
      throw new UserError(`${weights}: ${name} is ${info.dtype}; the model takes ${FLOAT_DTYPES.join(', ')}`);
    if (info.shape.join() !== shape.join())
      throw new UserError(
        `${weights}: ${name} has shape [${info.shape.join(', ')}], expected [${shape.join(', ')}]`,
      );
  }
  const body = new Map(header);
  body.delete('score.weight');
  body.delete('score.bias');
  checkGPT2Tensors(body, config, weights);
  const tensors = readSafetensors(weights).tensors;
  const scoreW = tensors.get('score.weight')!;
  const scoreB = tensors.get('score.bias');
  tensors.delete('score.weight');
  tensors.delete('score.bias');
  const model = importGPT2(tensors, config, weights);
  addClassificationHead(model, K);
  model.out_head.weight.data.set(scoreW.f32('score.weight'));
  if (scoreB) model.out_head.bias!.data.set(scoreB.f32('score.bias'));
  else model.out_head.bias!.data.fill(0);
  const savedLength = hf.llm_scratch?.classifier?.maxLength ?? config.contextLength;
  if (!Number.isInteger(savedLength) || savedLength < 1)
    throw new UserError(`${configPath}: llm_scratch.classifier.maxLength must be a positive integer`);
  const maxLength = Math.min(savedLength, config.contextLength);
  setClassifierMaxLength(model, maxLength);
  return { model, labels, maxLength };
}
