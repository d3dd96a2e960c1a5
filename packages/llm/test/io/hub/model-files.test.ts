// Which files make a model directory, and which repository ids the hub accepts.
import { describe, expect, it } from 'vitest';
import { chooseModelFiles, weightsFromIndex } from '../../../src/io/hub/model-files.js';
import { defaultDirName, repoIdProblem } from '../../../src/io/hub/repo-id.js';
import { expectedOf, runningHash } from '../../../src/io/hub/verify.js';

describe('chooseModelFiles', () => {
  it("takes a Llama repository's config, tokenizer and safetensors, not its other formats", () => {
    const choice = chooseModelFiles([
      '.gitattributes',
      'LICENSE.txt',
      'README.md',
      'config.json',
      'generation_config.json',
      'model.safetensors',
      'original/consolidated.00.pth',
      'original/params.json',
      'original/tokenizer.model',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'pytorch_model.bin',
      'onnx/model.onnx',
      'model.gguf',
    ]);
    expect(choice).toEqual({
      first: [
        'config.json',
        'generation_config.json',
        'tokenizer.json',
        'tokenizer_config.json',
        'special_tokens_map.json',
      ],
      weights: ['model.safetensors'],
      index: null,
    });
  });

  it('with a shard index, takes the index and leaves the shards to it', () => {
    const choice = chooseModelFiles([
      'config.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
      'model.safetensors.index.json',
      'consolidated.safetensors',
    ]);
    expect(choice).toEqual({
      first: ['config.json', 'model.safetensors.index.json'],
      weights: [],
      index: 'model.safetensors.index.json',
    });
    expect(
      weightsFromIndex({
        weight_map: {
          a: 'model-00002-of-00002.safetensors',
          b: 'model-00001-of-00002.safetensors',
          c: 'model-00002-of-00002.safetensors',
        },
      }),
    ).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expect(weightsFromIndex({})).toBe('it has no weight_map object');
    expect(weightsFromIndex({ weight_map: { a: '../x.safetensors' } })).toMatch(/names "..\/x.safetensors"/);
  });
});

describe('repository ids', () => {
  it('accepts the hub ids and says what is wrong with others', () => {
    for (const ok of [
      'Qwen/Qwen3-0.6B',
      'meta-llama/Llama-3.2-1B',
      'google/gemma-3-270m',
      'gpt2',
      'a_b/c.d-e',
    ])
      expect(repoIdProblem(ok)).toBeNull();
    expect(repoIdProblem('https://huggingface.co/Qwen/Qwen3-0.6B')).toMatch(/not its web address/);
    expect(repoIdProblem('a/b/c')).toBe('more than one /');
    expect(repoIdProblem('Qwen/Qwen3 0.6B')).toMatch(/a character other than/);
    expect(repoIdProblem('Qwen/-x')).toMatch(/starts or ends/);
    expect(repoIdProblem('Qwen/a--b')).toMatch(/'--'/);
    expect(repoIdProblem(`a/${'x'.repeat(100)}`)).toMatch(/longer than 96/);
    expect(defaultDirName('Qwen/Qwen3-0.6B')).toBe('Qwen3-0.6B');
    expect(defaultDirName('gpt2')).toBe('gpt2');
  });
});

describe('expected hashes', () => {
  it("a git file's oid is git's blob id, an LFS file's its sha256", () => {
    // `printf 'hello\n' | git hash-object --stdin`
    const git = expectedOf({ size: 6, oid: 'ce013625030ba8dba906f756967f9e9ca394464a' });
    const hash = runningHash(git);
    hash.update(Buffer.from('hello\n'));
    expect(hash.digest()).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
    const sha = '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03';
    expect(expectedOf({ size: 6, oid: 'x', lfs: { oid: sha, size: 6 } })).toEqual({
      size: 6,
      hash: { kind: 'sha256', hex: sha },
    });
  });
});
