// The tokenizer of a directory, by the files it holds: a Hugging Face tokenizer.json (Llama 3, Qwen3,
// Gemma 3, GPT-2...), GPT-2's files as the hub ships them (vocab.json + merges.txt, the same formats
// as OpenAI's encoder.json + vocab.bpe, read by the same strict reader), or our own vocabularies
// (encoder.json + vocab.bpe, written by `bpe-train`).
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from 'llm-scratch-core/errors';
import { readTextFile } from '../../io/text-file.js';
import { BPETokenizer } from './bpe.js';
import { HFTokenizer } from './hf/tokenizer.js';
import type { Tokenizer } from './tokenizer.js';
import { parseVocab, readVocab } from './vocab-files.js';

export const TOKENIZER_LAYOUTS =
  'tokenizer.json (Hugging Face), vocab.json + merges.txt (GPT-2 from the hub) or encoder.json + vocab.bpe';

export function loadTokenizerDir(dir: string): Tokenizer {
  if (!statSync(dir).isDirectory()) {
    throw new UserError(`${dir} is not a directory: expected a directory with ${TOKENIZER_LAYOUTS}`);
  }
  const has = (name: string) => existsSync(join(dir, name));
  if (has('tokenizer.json')) return HFTokenizer.fromFile(join(dir, 'tokenizer.json'), dir);
  if (has('vocab.json') && has('merges.txt')) {
    const [vocabFile, mergesFile] = [join(dir, 'vocab.json'), join(dir, 'merges.txt')];
    return new BPETokenizer(
      parseVocab(readTextFile(vocabFile), readTextFile(mergesFile), vocabFile, mergesFile),
      dir,
    );
  }
  if (has('encoder.json') && has('vocab.bpe')) return new BPETokenizer(readVocab(dir), dir);
  throw new UserError(`${dir}: no tokenizer files: expected ${TOKENIZER_LAYOUTS}`);
}
