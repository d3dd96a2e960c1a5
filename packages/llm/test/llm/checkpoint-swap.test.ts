// A kill at each instant of saveCheckpoint's swap, simulated by leaving on disk what the save had
// done by then; --resume (loadCheckpoint) must find the newest complete copy, and the next save or
// resume must remove what killed runs left behind.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { llmScratch } from '../../src/cli/llm-scratch.js';
import { GPTModel, type GPTConfig } from '../../src/llm/gpt.js';
import { loadCheckpoint, saveCheckpoint, TRAINER_FILE } from '../../src/llm/train/checkpoint.js';
import { initialState, makeOptimizer, type TrainOptions } from '../../src/llm/train/loop.js';
import { Rng } from '../../src/tensor/index.js';
import { runCli } from '../../../../test/helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'ckpt-swap-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const config: GPTConfig = {
  vocabSize: 50257,
  contextLength: 8,
  embDim: 8,
  nHeads: 2,
  nLayers: 1,
  dropRate: 0,
  qkvBias: false,
};

// Complete checkpoints at steps 1 and 2, saved once and copied into each scenario.
const model = new GPTModel(config, { rng: new Rng(1) });
const optimizer = makeOptimizer(model, { lr: 1e-3, weightDecay: 0.1 } as TrainOptions);
const saved = join(root, 'saved');
for (const step of [1, 2]) {
  saveCheckpoint(
    join(saved, `step${step}`),
    model,
    optimizer.stateDict(),
    { ...initialState(1, new Rng(1)), step },
    10,
  );
}

// A run directory holding the given copies under the names a save uses.
function scenario(name: string, copies: Record<string, 1 | 2 | 'partial'>): string {
  const run = join(root, name);
  mkdirSync(run, { recursive: true });
  for (const [as, what] of Object.entries(copies)) {
    cpSync(join(saved, `step${what === 'partial' ? 2 : what}`), join(run, as), { recursive: true });
    // A partial copy is one whose writer was killed before trainer.json, which is written last.
    if (what === 'partial') rmSync(join(run, as, TRAINER_FILE));
  }
  return run;
}

const leftovers = (run: string) => readdirSync(run).filter((n) => n !== 'checkpoint');

describe('a kill during saveCheckpoint', () => {
  it.each([
    [1, 'while the new copy is written', { checkpoint: 1, '.checkpoint.tmp-77': 'partial' }],
    [2, 'after the new copy is complete, before any rename', { checkpoint: 1, '.checkpoint.tmp-77': 2 }],
    [2, 'between the two renames', { '.checkpoint.old-77': 1, '.checkpoint.tmp-77': 2 }],
    [2, 'after the swap, before the old copy is removed', { checkpoint: 2, '.checkpoint.old-77': 1 }],
    [
      1,
      'between the renames, the new copy partial',
      { '.checkpoint.old-77': 1, '.checkpoint.tmp-77': 'partial' },
    ],
  ] as const)('resume takes step %i when killed %s', (step, name, copies) => {
    const run = scenario(name.replace(/\W+/g, '-'), copies);
    expect(loadCheckpoint(run).file.step).toBe(step);
    expect(existsSync(join(run, 'checkpoint', TRAINER_FILE))).toBe(true);
    expect(leftovers(run)).toEqual([]);
  });

  it('the next save removes what killed runs left and swaps cleanly', () => {
    const run = scenario('next-save', {
      '.checkpoint.old-5': 1,
      '.checkpoint.tmp-5': 'partial',
      '.checkpoint.tmp-6': 2,
    });
    saveCheckpoint(
      join(run, 'checkpoint'),
      model,
      optimizer.stateDict(),
      { ...initialState(1, new Rng(1)), step: 3 },
      10,
    );
    expect(leftovers(run)).toEqual([]);
    expect(loadCheckpoint(run).file.step).toBe(3);
  });

  it('a failed write leaves the previous checkpoint and no temporary copy', () => {
    const run = scenario('failed-write', { checkpoint: 1 });
    // The optimizer's state is written after the model: failing there leaves a partial copy behind.
    const state = optimizer.stateDict();
    const failing = new Proxy(state, {
      get: (target, key) => {
        if (key === 'tensors') throw new Error('disk full');
        return Reflect.get(target, key);
      },
    });
    expect(() =>
      saveCheckpoint(
        join(run, 'checkpoint'),
        model,
        failing,
        { ...initialState(1, new Rng(1)), step: 2 },
        10,
      ),
    ).toThrow('disk full');
    expect(leftovers(run)).toEqual([]);
    expect(loadCheckpoint(run).file.step).toBe(1);
  });

  it('--resume through the CLI finds the copy a kill left between the renames', async () => {
    const run = scenario('cli', { '.checkpoint.old-9': 1, '.checkpoint.tmp-9': 2 });
    const verdict = new URL('../../data/the-verdict.txt', import.meta.url).pathname;
    // The saved checkpoints claim 10 windows per epoch: the CLI refuses other data after finding
    // the checkpoint, which shows that it found and read step 2's copy.
    const r = await runCli(llmScratch, [
      'train',
      '--data',
      verdict,
      '--resume',
      run,
      '--out',
      run,
      '--no-plot',
      '--no-progress',
    ]);
    expect(r.stderr).toMatch(/--resume: the checkpoint was trained on 10 windows per epoch/);
    expect(r.code).toBe(1);
    expect(leftovers(run)).toEqual([]);
  });
});
