// Model directories whose tokenizer cannot be read (issue 23): no tokenizer files, a tokenizer.json
// that is not JSON, and tokenizer types this project does not implement.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BadInputCase } from '../case.js';

function tokenizerDir(dir: string, json: string): void {
  mkdirSync(join(dir, 'tok'));
  writeFileSync(join(dir, 'tok', 'tokenizer.json'), json);
}

const unigram = JSON.stringify({ added_tokens: [], model: { type: 'Unigram', vocab: [['a', 0]] } });
const metaspace = JSON.stringify({
  pre_tokenizer: { type: 'Metaspace', replacement: '▁' },
  model: { type: 'BPE', vocab: { a: 0 }, merges: [] },
});

export const cases: BadInputCase[] = [
  {
    program: 'llm-scratch',
    kind: 'missing file',
    args: ['tokenize', '--encoding', '{dir}/tok', 'hi'],
    setup: (dir) => mkdirSync(join(dir, 'tok')),
    exit: 1,
    stderr: 'tok: no tokenizer files: expected tokenizer.json (Hugging Face), vocab.json + merges.txt',
  },
  {
    program: 'llm-scratch',
    kind: 'not the expected format',
    args: ['tokenize', '--encoding', '{dir}/tok', 'hi'],
    setup: (dir) => tokenizerDir(dir, '{"model": {"type": "BPE",'),
    exit: 1,
    stderr: 'tokenizer.json: not valid JSON',
  },
  {
    program: 'llm-scratch',
    kind: 'unsupported format',
    args: ['tokenize', '--encoding', '{dir}/tok', 'hi'],
    setup: (dir) => tokenizerDir(dir, unigram),
    exit: 1,
    stderr: 'tokenizer.json: model type "Unigram" is not supported (supported: BPE',
  },
  {
    program: 'llm-scratch',
    kind: 'unsupported format',
    args: ['decode', '--encoding', '{dir}/tok', '1'],
    setup: (dir) => tokenizerDir(dir, metaspace),
    exit: 1,
    stderr:
      "tokenizer.json: pre_tokenizer: type 'Metaspace' is not supported (supported: Sequence, Split, ByteLevel)",
  },
];
