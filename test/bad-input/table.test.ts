// Runs every row of the bad-input table in-process, in a scratch directory with a tiny model, and
// checks that docs/bad-input.md is the page these rows generate.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { llmCrew } from '../../packages/crew/src/cli/llm-crew.js';
import { llmScratch } from '../../packages/llm/src/cli/llm-scratch.js';
import { runCli } from '../helpers/cli.js';
import { writeFixtureModel } from '../../packages/llm/test/helpers/gpt2-fixture.js';
import { allCases, badInputPage, pagePath } from './table.js';

const programs = { 'llm-scratch': llmScratch, 'llm-crew': llmCrew };
const scratch: string[] = [];
afterAll(() => scratch.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('bad input, command by command', () => {
  it.each(allCases.map((c) => [[c.program, ...c.args].join(' '), c] as const))('%s', async (_, c) => {
    const dir = mkdtempSync(join(tmpdir(), 'bad-input-'));
    scratch.push(dir);
    writeFixtureModel(join(dir, 'model'));
    c.setup?.(dir);
    const args = c.args.map((a) => a.replaceAll('{dir}', dir).replaceAll('{model}', join(dir, 'model')));
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const r = await runCli(programs[c.program], args);
      if (typeof c.stderr === 'string') expect(r.stderr).toContain(c.stderr);
      else expect(r.stderr).toMatch(c.stderr);
      expect(r.code).toBe(c.exit);
      if (c.exit !== 0) expect(r.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      process.chdir(cwd);
    }
  });

  it('docs/bad-input.md is the page the cases generate', async () => {
    expect(readFileSync(pagePath, 'utf8')).toBe(await badInputPage());
  });
});
