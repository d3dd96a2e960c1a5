// The llm-scratch CLI as a user runs it: help, version, info, generate and logits, and the exit
// codes and one-line messages for mistakes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { llmScratch } from '../../src/cli/llm-scratch.js';
import { runCli } from '../../../../test/helpers/cli.js';
import { fixture, writeFixtureModel } from '../helpers/gpt2-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'llm-scratch-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const model = writeFixtureModel(join(dir, 'model'));
const run = (...argv: string[]) => runCli(llmScratch, argv);

describe('llm-scratch', () => {
  it('prints help, version and per-command help from the option tables', async () => {
    const help = await run('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Commands:\n {2}info/);
    expect(help.stdout).toContain('generate');
    expect((await run('--version')).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    const gen = await run('generate', '--help');
    expect(gen.stdout).toContain('--max-new-tokens N');
    expect(gen.stdout).toContain('(at least 1; default: 50)');
    expect(gen.stdout).toContain('(required)');
  });

  it('info reports the backend, and a preset size as the book computes it', async () => {
    const info = JSON.parse((await run('info', '--json')).stdout);
    expect(['ts', 'native']).toContain(info.backend);
    const small = JSON.parse((await run('info', '--config', 'gpt2-small', '--json')).stdout);
    expect(small).toMatchObject({ parameters: 163_009_536, parametersTied: 124_412_160, megabytes: 621.83 });
    expect((await run('info', '--config', 'gpt2-small')).stdout).toContain('621.83 MB');
  });

  it('generate prints the greedy continuation as JSON and streams text', async () => {
    const ids = fixture.ids.join(',');
    const json = await run('generate', '--model', model, '--ids', ids, '--max-new-tokens', '30', '--json');
    expect(json.code).toBe(0);
    const out = JSON.parse(json.stdout);
    expect(out.promptIds).toEqual(fixture.ids);
    expect(out.newIds).toEqual(fixture.greedy);
    const streamed = await run('generate', '--model', model, '--prompt', 'Hello', '--max-new-tokens', '5');
    expect(streamed.code).toBe(0);
    expect(streamed.stdout.startsWith('Hello')).toBe(true);
    const noCache = await run(
      'generate',
      '--model',
      model,
      '--ids',
      ids,
      '--max-new-tokens',
      '30',
      '--no-kv-cache',
      '--json',
    );
    expect(JSON.parse(noCache.stdout).newIds).toEqual(fixture.greedy);
  });

  it('logits prints the last position, or every position with --all', async () => {
    const last = JSON.parse((await run('logits', '--model', model, '--ids', '1,2,3', '--json')).stdout);
    expect(last.logits).toHaveLength(1);
    expect(last.logits[0]).toHaveLength(50257);
    const all = JSON.parse(
      (await run('logits', '--model', model, '--ids', '1,2,3', '--all', '--json')).stdout,
    );
    expect(all.logits).toHaveLength(3);
    expect(all.logits[2]).toEqual(last.logits[0]);
  });

  it('answers mistakes with one line and exit code 1 (bad input) or 2 (bad usage)', async () => {
    const cases: [string[], number, string][] = [
      [['frobnicate'], 2, "unknown command 'frobnicate'"],
      [['generate', '--model', model], 2, 'give exactly one of --prompt and --ids'],
      [
        ['generate', '--model', model, '--ids', '1', '--max-new-tokens', 'many'],
        2,
        "--max-new-tokens expects a number, got 'many'",
      ],
      [['generate', '--model', join(dir, 'missing'), '--ids', '1'], 1, '/missing: no such directory'],
      [
        ['generate', '--model', model, '--ids', '99999'],
        1,
        "--ids: token id 99999 is outside the model's vocabulary (ids 0 to 50256)",
      ],
      [['logits', '--model', model, '--ids', '1,x'], 2, "'x' is not a token id"],
      [['info', '--config', 'gpt9'], 2, '--config must be one of gpt2-small, gpt2-medium'],
    ];
    for (const [argv, code, message] of cases) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(code);
      expect(r.stderr).toContain(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
