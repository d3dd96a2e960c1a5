#!/usr/bin/env node
// Precompiles GPT-2's vocabulary into dist/gpt2-vocab.bin (see src/llm/tokenizer/vocab-cache.ts),
// after the TypeScript build: commands that tokenize then start in milliseconds instead of parsing
// encoder.json and vocab.bpe. Without the file they still work, from the source files.
import { GPT2_VOCAB_CACHE, writeGpt2VocabCache } from '../dist/llm/fundamentals.js';

writeGpt2VocabCache();
console.error(`llm-scratch: wrote ${GPT2_VOCAB_CACHE}`);
