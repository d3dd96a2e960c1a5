// GPT-2 as the Hugging Face hub ships it: vocab.json + merges.txt (the same files as OpenAI's
// encoder.json + vocab.bpe, under other names), and a tokenizer.json made from them the way the hub's
// gpt2 repository has it (ByteLevel pre-tokenizer with its own regex). Both give our gpt2 encoding's
// ids, and the tokenizer.json gives Hugging Face tokenizers' ids.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from 'llm-scratch-core/errors';
import { gpt2Tokenizer, loadTokenizer, type Tokenizer } from '../../../src/llm/fundamentals.js';
import { dataPath } from '../../../src/paths.js';
import { fixture } from './family-suite.js';

const require = createRequire(import.meta.url);
const root = mkdtempSync(join(tmpdir(), 'gpt2-hub-'));
const hubFiles = join(root, 'files');
const hubJson = join(root, 'json');
let rust: { encode(t: string, p: null, o: object): Promise<{ getIds(): number[] }> };

beforeAll(() => {
  mkdirSync(hubFiles);
  mkdirSync(hubJson);
  copyFileSync(dataPath('gpt2', 'encoder.json'), join(hubFiles, 'vocab.json'));
  copyFileSync(dataPath('gpt2', 'vocab.bpe'), join(hubFiles, 'merges.txt'));
  const vocab = JSON.parse(readFileSync(dataPath('gpt2', 'encoder.json'), 'utf8')) as Record<string, number>;
  const merges = readFileSync(dataPath('gpt2', 'vocab.bpe'), 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#version'));
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      {
        id: 50256,
        content: '<|endoftext|>',
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: true,
        special: true,
      },
    ],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: byteLevel,
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
  writeFileSync(join(hubJson, 'tokenizer.json'), JSON.stringify(json));
  rust = require('tokenizers').Tokenizer.fromFile(join(hubJson, 'tokenizer.json'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('GPT-2 from the hub', () => {
  const texts = ['multilingual.txt', 'torture.txt', 'whitespace-classes.txt'].map(fixture);
  const check = (tokenizer: Tokenizer) => {
    for (const text of texts) {
      const ids = tokenizer.encode(text + '<|endoftext|>', { allowedSpecial: 'all' });
      expect(ids).toEqual(gpt2Tokenizer().encode(text + '<|endoftext|>', { allowedSpecial: 'all' }));
      expect(tokenizer.decode(ids)).toBe(text + '<|endoftext|>');
    }
  };

  it('vocab.json + merges.txt give the gpt2 encoding', () => {
    const tokenizer = loadTokenizer(hubFiles);
    expect(tokenizer.vocabSize).toBe(50257);
    check(tokenizer);
  });

  it("tokenizer.json gives the gpt2 encoding and Hugging Face tokenizers' ids", async () => {
    const tokenizer = loadTokenizer(hubJson);
    check(tokenizer);
    for (const text of texts) {
      expect(tokenizer.encode(text)).toEqual(
        (await rust.encode(text, null, { addSpecialTokens: false })).getIds(),
      );
    }
  });

  it('a directory without tokenizer files is one clear error', () => {
    expect(() => loadTokenizer(root)).toThrow(
      new UserError(
        `${root}: no tokenizer files: expected tokenizer.json (Hugging Face), vocab.json + merges.txt (GPT-2 from the hub) or encoder.json + vocab.bpe`,
      ),
    );
  });
});
