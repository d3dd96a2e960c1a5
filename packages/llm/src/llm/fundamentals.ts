// The book's chapters 1-2: text to token ids. The simple word tokenizers of section 2.3-2.4, GPT-2's
// byte-level BPE of section 2.5 (exact to tiktoken), and BPE training from the chapter's bonus
// material. The implementations live under tokenizer/; this module is the chapter's front door.
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from 'llm-scratch-core/errors';
import { dataPath, packageRoot } from '../paths.js';
import { BPETokenizer, mergeablePairs } from './tokenizer/bpe.js';
import { loadTokenizerDir, TOKENIZER_LAYOUTS } from './tokenizer/directory.js';
import type { Tokenizer } from './tokenizer/tokenizer.js';
import { readVocabCache, writeVocabCache } from './tokenizer/vocab-cache.js';
import { formatVocab, readVocab, type BPEVocab } from './tokenizer/vocab-files.js';

export { BPETokenizer, type EncodeOptions, type SpecialSet } from './tokenizer/bpe.js';
export { bytesToUnicode } from './tokenizer/byte-unicode.js';
export { HFTokenizer } from './tokenizer/hf/tokenizer.js';
export type { Tokenizer } from './tokenizer/tokenizer.js';
export { pretokenize } from './tokenizer/pretokenize.js';
export { readTextFile } from '../io/text-file.js';
export { formatVocab, parseVocab, readVocab, type BPEVocab } from './tokenizer/vocab-files.js';
export { trainBPE, type BPETrainOptions, type BPETrainResult } from './tokenizer/bpe-train.js';
export {
  buildVocabulary,
  SimpleTokenizerV1,
  SimpleTokenizerV2,
  splitWords,
  END_OF_TEXT,
  UNK,
} from './tokenizer/simple.js';

let gpt2: BPETokenizer | null = null;

// The precompiled GPT-2 vocabulary (vocab-cache.ts), written by `npm run build`.
export const GPT2_VOCAB_CACHE = join(packageRoot, 'dist', 'gpt2-vocab.bin');

// GPT-2's tokenizer (tiktoken's 'gpt2' / 'r50k_base'), loaded once: from the precompiled vocabulary
// when it is current, else from encoder.json and vocab.bpe.
export function gpt2Tokenizer(): BPETokenizer {
  if (gpt2) return gpt2;
  const dir = dataPath('gpt2');
  const compiled = readVocabCache(GPT2_VOCAB_CACHE, dir);
  gpt2 = compiled
    ? new BPETokenizer(compiled.vocab, 'gpt2', compiled.pairs)
    : BPETokenizer.fromDirectory(dir, 'gpt2');
  return gpt2;
}

// Writes the precompiled GPT-2 vocabulary (the build's step, scripts/build-vocab.mjs).
export function writeGpt2VocabCache(file = GPT2_VOCAB_CACHE): void {
  const dir = dataPath('gpt2');
  const vocab = readVocab(dir);
  writeVocabCache(file, dir, { vocab, pairs: mergeablePairs(vocab) });
}

// 'gpt2' or a directory holding a tokenizer (directory.ts: a Hugging Face model's tokenizer.json,
// GPT-2's vocab.json + merges.txt, or our encoder.json + vocab.bpe).
export function loadTokenizer(encoding: string): Tokenizer {
  if (encoding === 'gpt2' || encoding === 'r50k_base') return gpt2Tokenizer();
  if (!existsSync(encoding)) {
    throw new UserError(
      `unknown encoding '${encoding}': expected gpt2 or a directory with ${TOKENIZER_LAYOUTS}`,
    );
  }
  return loadTokenizerDir(encoding);
}

// Writes a vocabulary as encoder.json and vocab.bpe into dir (created if needed), each file written
// to a temporary name and renamed, so that a failure leaves no half-written vocabulary.
export function saveVocab(vocab: BPEVocab, dir: string): void {
  const { encoder, merges } = formatVocab(vocab);
  try {
    mkdirSync(dir, { recursive: true });
    for (const [name, content] of [
      ['encoder.json', encoder],
      ['vocab.bpe', merges],
    ]) {
      const temp = join(dir, `.${name}.tmp-${process.pid}`);
      writeFileSync(temp, content);
      renameSync(temp, join(dir, name));
    }
  } catch (err) {
    throw new UserError(`cannot write the vocabulary to ${dir}: ${(err as Error).message}`);
  }
}
