// The chapter-2 commands, run in process through the program runner: outputs, exit codes, and
// one-line errors for bad input.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { llmScratch } from '../../src/cli/llm-scratch.js';
import { runProgram } from 'llm-scratch-core/cli/program';

const dir = mkdtempSync(join(tmpdir(), 'cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const verdict = new URL('../../data/the-verdict.txt', import.meta.url).pathname;

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runProgram(llmScratch, argv, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  });
  return { code, stdout, stderr };
}

describe('llm-scratch tokenize / decode', () => {
  it('tokenizes text to ids, plain or JSON', async () => {
    expect(await run('tokenize', 'Hello, world!')).toMatchObject({ code: 0, stdout: '15496 11 995 0\n' });
    expect((await run('tokenize', '--json', 'Hello,', 'world!')).stdout).toBe('[15496,11,995,0]\n');
    const file = await run('tokenize', '--json', '--file', verdict);
    expect(JSON.parse(file.stdout)).toHaveLength(5145);
  });

  it('refuses <|endoftext|> unless allowed', async () => {
    const refused = await run('tokenize', 'a<|endoftext|>');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^llm-scratch tokenize: the text contains the special token <\|endoftext\|> \(id 50256\)[^\n]*\n$/,
    );
    expect((await run('tokenize', '--allow-special', 'a<|endoftext|>')).stdout).toBe('64 50256\n');
  });

  it('decodes ids from arguments or a file', async () => {
    expect((await run('decode', '15496', '11', '995', '0')).stdout).toBe('Hello, world!');
    const ids = join(dir, 'ids.json');
    writeFileSync(ids, '[15496, 11, 995, 0]');
    expect((await run('decode', '--json', '--file', ids)).stdout).toBe('"Hello, world!"\n');
  });

  it('gives one-line errors with exit code 1 for bad input', async () => {
    for (const [argv, message] of [
      [['tokenize', '--file', join(dir, 'nope.txt')], /--file .*nope.txt: no such file/],
      [['tokenize', '--encoding', join(dir, 'nope'), 'x'], /unknown encoding/],
      [['decode', '15496', 'abc'], /'abc' is not a token id/],
      [['decode', '50257'], /unknown token id 50257/],
    ] as const) {
      const result = await run(...argv);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect((await run('tokenize')).code).toBe(2);
    expect((await run('decode')).code).toBe(2);
  });
});

describe('llm-scratch bpe-train / prepare', () => {
  it('trains a vocabulary that tokenize and decode then use', async () => {
    const out = join(dir, 'bpe');
    const trained = await run('bpe-train', '--input', verdict, '--vocab-size', '400', '--out', out, '--json');
    expect(trained.code).toBe(0);
    const summary = JSON.parse(trained.stdout);
    expect(summary).toMatchObject({ vocabSize: 400, merges: 143 });
    expect(summary.bytesPerToken).toBeGreaterThan(1.5);
    const ids = (await run('tokenize', '--encoding', out, 'It was the last')).stdout.trim().split(' ');
    expect((await run('decode', '--encoding', out, ...ids)).stdout).toBe('It was the last');
    const small = await run('bpe-train', '--input', verdict, '--vocab-size', '100', '--out', out);
    expect(small.code).toBe(2);
    expect(small.stderr).toContain('--vocab-size must be at least 257, got 100');
  });

  it('prepares a shard, and leaves nothing behind on error', async () => {
    const out = join(dir, 'verdict.bin');
    const result = await run('prepare', '--input', verdict, '--out', out, '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ tokens: 5146, tokenizer: 'gpt2', files: 1 });
    expect(readFileSync(out).length).toBe(1024 + 2 * 5146);
    const bad = join(dir, 'bad.bin');
    const failed = await run('prepare', '--input', verdict, join(dir, 'missing.txt'), '--out', bad);
    expect(failed.code).toBe(1);
    expect(existsSync(bad)).toBe(false);
  });
});
