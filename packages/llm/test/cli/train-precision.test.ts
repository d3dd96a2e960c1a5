// `llm-scratch train --precision bf16` in process: the option reaches the training loop (the losses
// move off the f32 run's, within 2%) and leaves the process in f32 afterwards.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { llmScratch } from '../../src/cli/llm-scratch.js';
import { matmulPrecision } from '../../src/tensor/index.js';
import { runCli } from '../../../../test/helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'train-precision-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const verdict = new URL('../../data/the-verdict.txt', import.meta.url).pathname;

async function stepLosses(precision: string): Promise<number[]> {
  const log = join(dir, `${precision}.jsonl`);
  const r = await runCli(llmScratch, [
    'train',
    ...['--data', verdict, '--config', 'gpt2-tiny', '--context-length', '32', '--batch-size', '4'],
    ...['--max-steps', '4', '--eval-freq', '4', '--eval-iter', '1', '--sample-tokens', '0'],
    ...['--no-plot', '--no-progress', '--precision', precision],
    ...['--out', join(dir, precision), '--log-json', log],
  ]);
  expect(r.code, r.stderr).toBe(0);
  return readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { loss?: number })
    .flatMap((l) => (l.loss === undefined ? [] : [l.loss]));
}

it('--precision bf16 trains with bf16 products, within 2% of f32', async () => {
  const f32 = await stepLosses('f32');
  const bf16 = await stepLosses('bf16');
  expect(matmulPrecision()).toBe('f32');
  expect(bf16).toHaveLength(4);
  expect(bf16).not.toEqual(f32);
  bf16.forEach((loss, i) => expect(Math.abs(loss - f32[i]) / f32[i]).toBeLessThan(0.02));
}, 120_000);
