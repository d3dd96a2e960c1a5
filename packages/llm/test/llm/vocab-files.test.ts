// Loading a vocabulary directory: any problem is one line naming the file (and line) and the problem.
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BPETokenizer, loadTokenizer } from '../../src/llm/fundamentals.js';
import { dataPath } from '../../src/paths.js';
import { UserError } from 'llm-scratch-core/errors';

const root = mkdtempSync(join(tmpdir(), 'vocab-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const gpt2Encoder = readFileSync(dataPath('gpt2', 'encoder.json'), 'utf8');
const gpt2Merges = readFileSync(dataPath('gpt2', 'vocab.bpe'), 'utf8');

let n = 0;
function vocabDir(encoder: string, merges: string): string {
  const dir = join(root, String(n++));
  mkdirSync(dir);
  writeFileSync(join(dir, 'encoder.json'), encoder);
  writeFileSync(join(dir, 'vocab.bpe'), merges);
  return dir;
}

function loadError(dir: string): string {
  try {
    BPETokenizer.fromDirectory(dir);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).not.toContain('\n');
    return (err as Error).message;
  }
  throw new Error('expected an error');
}

describe('vocabulary directories', () => {
  it('a copy of GPT-2 loads and encodes as GPT-2', () => {
    const dir = vocabDir(gpt2Encoder, gpt2Merges);
    expect(loadTokenizer(dir).encode('Hello, world!')).toEqual([15496, 11, 995, 0]);
  });

  it('names a missing file', () => {
    const dir = join(root, 'empty');
    mkdirSync(dir);
    expect(loadError(dir)).toMatch(/cannot read .*empty\/encoder.json: no such file/);
    expect(() => loadTokenizer(join(root, 'nowhere'))).toThrow(
      /unknown encoding '.*nowhere': expected gpt2 or a directory/,
    );
  });

  const cases: Array<[string, string, string, RegExp]> = [
    ['not JSON', '{"a": 1', gpt2Merges, /encoder.json: not valid JSON/],
    ['not an object', '[1, 2]', gpt2Merges, /encoder.json: expected a JSON object of token -> id/],
    [
      'a bad id',
      gpt2Encoder.replace('"!": 0', '"!": -3'),
      gpt2Merges,
      /encoder.json: token "!" has id -3, expected an integer/,
    ],
    ['a duplicate id', gpt2Encoder.replace('"\\"": 1', '"\\"": 0'), gpt2Merges, /id 0 is used twice|has id/],
    [
      'a character outside the byte table',
      gpt2Encoder.replace('"\\u0120gazed": 50255', '"\\u4e00": 50255'),
      gpt2Merges,
      /token "一" \(id 50255\) has a character outside GPT-2's byte-to-unicode table/,
    ],
    [
      'a missing byte',
      gpt2Encoder.replace('"!": 0', '"\\u0120gazed!": 0'),
      gpt2Merges,
      /encoder.json: byte 0x21 \("!"\) is missing/,
    ],
    [
      'a merge line without a space',
      gpt2Encoder,
      gpt2Merges.replace('\nh e\n', '\nhe\n'),
      /vocab.bpe:4: expected a merge 'left right', got "he"/,
    ],
    [
      'a merge of an unknown token',
      gpt2Encoder,
      gpt2Merges.replace('\nh e\n', '\nh zzq\n'),
      /vocab.bpe:4: "zzq" is not a byte or the result of an earlier merge/,
    ],
    [
      'a merge whose result is not a token',
      gpt2Encoder.replace('"he": 258', '"h\\u0101": 258'),
      gpt2Merges,
      /vocab.bpe:4: the merge result "he" is not in .*encoder.json/,
    ],
  ];
  for (const [name, encoder, merges, message] of cases) {
    it(`names ${name}`, () => expect(loadError(vocabDir(encoder, merges))).toMatch(message));
  }
});
