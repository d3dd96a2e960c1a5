// The book's chapters 1-2: text to token ids. The simple word tokenizers of section 2.3-2.4, GPT-2's
// byte-level BPE of section 2.5 (exact to tiktoken), and BPE training from the chapter's bonus
// material. The implementations live under tokenizer/; this module is the chapter's front door.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BPETokenizer } from './tokenizer/bpe.js';

export { BPETokenizer, type EncodeOptions, type SpecialSet } from './tokenizer/bpe.js';
export { bytesToUnicode } from './tokenizer/byte-unicode.js';
export { pretokenize } from './tokenizer/pretokenize.js';
export { formatVocab, parseVocab, readVocab, type BPEVocab } from './tokenizer/vocab-files.js';

// data/gpt2 of the package, found upwards from this file (src/llm or dist/src/llm).
export function gpt2VocabDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 6; up++, dir = dirname(dir)) {
    const candidate = join(dir, 'data', 'gpt2');
    if (existsSync(join(candidate, 'encoder.json'))) return candidate;
  }
  throw new Error('data/gpt2/encoder.json not found above ' + fileURLToPath(import.meta.url));
}

let gpt2: BPETokenizer | null = null;

// GPT-2's tokenizer (tiktoken's 'gpt2' / 'r50k_base'), loaded once.
export function gpt2Tokenizer(): BPETokenizer {
  gpt2 ??= BPETokenizer.fromDirectory(gpt2VocabDir(), 'gpt2');
  return gpt2;
}

// 'gpt2' or a directory holding encoder.json and vocab.bpe.
export function loadTokenizer(encoding: string): BPETokenizer {
  return encoding === 'gpt2' ? gpt2Tokenizer() : BPETokenizer.fromDirectory(encoding);
}
