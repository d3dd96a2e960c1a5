// `llm-scratch bench generate` on the tiny preset and on model directories (GPT-2, and a Qwen3 one
// through its modules): the shape of its output (one line or one JSON object per run, the fields
// the issue names, and figures that agree with each other), never its speed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kernels } from '../../src/backend/index.js';
import { llmScratch } from '../../src/cli/llm-scratch.js';
import { bestReadBandwidth } from '../../src/llm/bench-generate.js';
import { loadModel as loadFamilyModel } from '../../src/llm/families/load.js';
import { Decoder, keepWeightsInBf16 } from '../../src/llm/decoder.js';
import { GPTModel, presetConfig } from '../../src/llm/gpt.js';
import { runCli } from '../../../../test/helpers/cli.js';
import { writeFixtureModel } from '../helpers/gpt2-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'llm-scratch-bench-generate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = (...argv: string[]) => runCli(llmScratch, argv);

describe('bench generate', () => {
  it('judges a run against the better of the probes around it, page size by page size', () => {
    const before = { best: 30e9, smallPages: 30e9, hugePages: 20e9 };
    const after = { best: 40e9, smallPages: 25e9, hugePages: 40e9 };
    expect(bestReadBandwidth(before, after)).toEqual({ best: 40e9, smallPages: 30e9, hugePages: 40e9 });
    const ts = { best: 9e9, smallPages: 9e9, hugePages: null };
    expect(bestReadBandwidth(ts, { ...ts, best: 7e9, smallPages: 7e9 })).toEqual(ts);
  });

  it('prints one JSON object per run with the rates, the bytes per token and the bandwidth share', async () => {
    const r = await run(
      'bench',
      'generate',
      '--config',
      'gpt2-tiny',
      '--tokens',
      '4',
      '--prompt-tokens',
      '9',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(4); // header + 3 runs
    const json = await run(
      'bench',
      'generate',
      ...['--config', 'gpt2-tiny', '--tokens', '3', '--prompt-tokens', '5', '--runs', '2', '--json'],
      ...['--dtype', 'bf16', '--threads', '1'],
    );
    expect(json.code, json.stderr).toBe(0);
    const rows = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(rows.map((x) => x.run)).toEqual([1, 2]);
    // The bench keeps bf16 weights only, as generate --dtype bf16 does.
    const model = new GPTModel({ ...presetConfig('gpt2-tiny'), dropRate: 0 });
    keepWeightsInBf16(model);
    const bytes = new Decoder(model).weightBytesPerToken;
    for (const row of rows) {
      expect(row).toMatchObject({
        kernel: 'generate',
        dtype: 'bf16',
        promptTokens: 5,
        tokens: 3,
        threads: 1,
      });
      expect(row.weightBytesPerToken).toBe(bytes);
      expect(row.rss).toBeGreaterThan(0);
      for (const key of ['tokensPerSec', 'prefillTokensPerSec', 'readBandwidth', 'limitTokensPerSec']) {
        expect(row[key], key).toBeGreaterThan(0);
      }
      // The limit is the better of the native probe's two page sizes, both reported.
      expect(row.readBandwidthSmallPages).toBeGreaterThan(0);
      if (kernels().name === 'native') {
        expect(row.readBandwidthHugePages).toBeGreaterThan(0);
        expect(row.readBandwidth).toBe(Math.max(row.readBandwidthSmallPages, row.readBandwidthHugePages));
      } else {
        expect(row.readBandwidthHugePages).toBeNull();
      }
      expect(row.hugePageWeights).toBeGreaterThanOrEqual(0);
      expect(row.hugePageWeights).toBeLessThanOrEqual(1);
      expect(row.limitTokensPerSec).toBeCloseTo(row.readBandwidth / row.weightBytesPerToken, 6);
      expect(row.bandwidthFraction).toBeCloseTo(row.tokensPerSec / row.limitTokensPerSec, 9);
    }
  });

  it('takes a model directory, and names what is wrong with the options', async () => {
    const model = writeFixtureModel(join(dir, 'model'));
    const r = await run(
      'bench',
      'generate',
      '--model',
      model,
      '--tokens',
      '2',
      '--prompt-tokens',
      '3',
      '--runs',
      '1',
      '--json',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ dtype: 'f32', promptTokens: 3 });
    const both = await run('bench', 'generate', '--model', model, '--config', 'gpt2-tiny');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give exactly one of --config and --model');
    const dtype = await run('bench', 'generate', '--config', 'gpt2-tiny', '--dtype', 'f16');
    expect(dtype.code).toBe(2);
    expect(dtype.stderr).toContain("--dtype must be one of f32, bf16, got 'f16'");
    const long = await run(
      'bench',
      'generate',
      '--config',
      'gpt2-tiny',
      '--prompt-tokens',
      '60',
      '--tokens',
      '5',
    );
    expect(long.code).toBe(1);
    expect(long.stderr).toContain("exceed the model's context length 64");
  });

  it('benchmarks a Llama 3, Qwen3 or Gemma 3 directory through its modules, f32 or bf16', async () => {
    const family = 'test/fixtures/families/qwen3-untied-bf16-sharded';
    const model = loadFamilyModel(family);
    const { vocabSize: V, embDim: C } = model.config as unknown as { vocabSize: number; embDim: number };
    const all = model.numParameters();
    const matrices = model
      .parameters()
      .filter((p) => p.ndim === 2)
      .reduce((n, p) => n + p.size, 0);
    const rows: Record<
      string,
      { weightBytesPerToken: number; tokensPerSec: number; bandwidthFraction: number }
    > = {};
    for (const dtype of ['f32', 'bf16']) {
      const r = await run(
        ...['bench', 'generate', '--model', family, '--dtype', dtype],
        ...['--prompt-tokens', '6', '--tokens', '3', '--runs', '1', '--json'],
      );
      expect(r.code, r.stderr).toBe(0);
      rows[dtype] = JSON.parse(r.stdout.trim());
      expect(rows[dtype].tokensPerSec).toBeGreaterThan(0);
      expect(rows[dtype].bandwidthFraction).toBeGreaterThan(0);
    }
    // Every parameter a token, but one row of the (untied) embedding table; bf16 halves the matrices.
    expect(rows.f32.weightBytesPerToken).toBe(4 * (all - V * C + C));
    expect(rows.bf16.weightBytesPerToken).toBe(2 * (matrices - V * C + C) + 4 * (all - matrices));
  });
});
