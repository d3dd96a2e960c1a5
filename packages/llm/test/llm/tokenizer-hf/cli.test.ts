// `tokenize --encoding DIR --file F --allow-special --json` and `decode --encoding DIR` on a model
// directory that holds Qwen3's real tokenizer.json and tokenizer_config.json (the acceptance command
// of issue 23), against Hugging Face tokenizers.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { llmScratch } from '../../../src/cli/llm-scratch.js';
import { runProgram } from 'llm-scratch-core/cli/program';
import { familyDir, fixture } from './family-suite.js';

const require = createRequire(import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'tokenize-hf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runProgram(llmScratch, argv, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  });
  return { code, stdout, stderr };
}

describe('llm-scratch tokenize / decode --encoding DIR', () => {
  it("gives Hugging Face tokenizers' ids for a Qwen3 model directory, and decodes them back", async () => {
    const model = join(dir, 'Qwen3-0.6B');
    rmSync(model, { recursive: true, force: true });
    mkdirSync(model);
    for (const name of ['tokenizer.json', 'tokenizer_config.json']) {
      copyFileSync(join(familyDir('qwen3'), name), join(model, name));
    }
    const text = fixture('multilingual.txt') + fixture('specials-qwen3.txt');
    const file = join(dir, 'text.txt');
    writeFileSync(file, text);
    const result = await run('tokenize', '--encoding', model, '--file', file, '--allow-special', '--json');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const ids = JSON.parse(result.stdout) as number[];
    const rust = require('tokenizers').Tokenizer.fromFile(join(model, 'tokenizer.json'));
    expect(ids).toEqual((await rust.encode(text, null, { addSpecialTokens: false })).getIds());
    expect(ids).toContain(151644); // <|im_start|>

    const refused = await run('tokenize', '--encoding', model, '--file', file);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/the text contains the special token <\|im_start\|> \(id 151644\)/);

    const idsFile = join(dir, 'ids.json');
    writeFileSync(idsFile, result.stdout);
    const decoded = await run('decode', '--encoding', model, '--json', '--file', idsFile);
    expect(JSON.parse(decoded.stdout)).toBe(text.normalize('NFC'));
  });
});
