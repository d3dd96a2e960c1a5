#!/usr/bin/env node
// A peer's whole process for bench:tokenizer: what `llm-scratch tokenize --file F` does (read the
// file, encode with GPT-2's BPE, print the ids on one line), written the shortest way with one
// library: node bench/lib/tokenize-peer.mjs tiktoken|gpt-tokenizer FILE
import { readFileSync } from 'node:fs';

const [peer, file] = process.argv.slice(2);
const text = readFileSync(file, 'utf8');
let ids;
if (peer === 'tiktoken') {
  const { get_encoding } = await import('tiktoken');
  const encoding = get_encoding('gpt2');
  ids = Array.from(encoding.encode(text));
  encoding.free();
} else if (peer === 'gpt-tokenizer') {
  const { encode } = await import('gpt-tokenizer/encoding/r50k_base');
  ids = encode(text);
} else {
  throw new Error(`unknown peer ${peer}`);
}
process.stdout.write(ids.join(' ') + '\n');
