// The one resolver every --model goes through: a model directory, or a run directory that holds one.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveModelDir } from '../../src/cli/model-dir.js';
import { checkIdsInVocabulary, checkModelBounds, readModelSize } from '../../src/cli/model-limits.js';
import { writeFixtureModel } from '../helpers/gpt2-fixture.js';

const root = mkdtempSync(join(tmpdir(), 'model-dir-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// What train, finetune-instruct and dpo leave in their --out directory.
function runDir(name: string, parts: string[], extra: string[] = []): string {
  const dir = join(root, name);
  for (const part of parts) writeFixtureModel(join(dir, part));
  for (const file of extra) writeFileSync(join(dir, file), '{}\n');
  return dir;
}

describe('resolveModelDir', () => {
  it('takes a model directory as it is', () => {
    const dir = writeFixtureModel(join(root, 'plain'));
    expect(resolveModelDir(dir)).toBe(dir);
  });

  it("finds a train run's checkpoint/", () => {
    const dir = runDir('train', ['checkpoint'], ['losses.json']);
    expect(resolveModelDir(dir)).toBe(join(dir, 'checkpoint'));
  });

  it("prefers a finetune-instruct run's final model/ to its checkpoint/", () => {
    const dir = runDir('instruct', ['checkpoint', 'model']);
    expect(resolveModelDir(dir)).toBe(join(dir, 'model'));
    expect(resolveModelDir(runDir('dpo', ['model'], ['dpo.json']))).toBe(join(root, 'dpo', 'model'));
  });

  it('names the option and the path when there is nothing to load', () => {
    expect(() => resolveModelDir(join(root, 'absent'))).toThrow(
      `--model ${join(root, 'absent')}: no such directory`,
    );
    const file = join(root, 'weights.bin');
    writeFileSync(file, 'x');
    expect(() => resolveModelDir(file, 'init')).toThrow(
      `--init ${file}: not a directory (a model directory holds config.json and model.safetensors)`,
    );
    const empty = join(root, 'empty');
    mkdirSync(empty);
    expect(() => resolveModelDir(empty)).toThrow(
      /: no model .* there or in model\/ or checkpoint\/; it is empty$/,
    );
  });

  it('lists what a directory without a model holds', () => {
    const dir = join(root, 'half');
    mkdirSync(join(dir, 'plots'), { recursive: true });
    writeFileSync(join(dir, 'metrics.json'), '{}');
    writeFileSync(join(dir, 'loss.json'), '{}');
    expect(() => resolveModelDir(dir)).toThrow(
      `--model ${dir}: no model (config.json and model.safetensors) there or in model/ or checkpoint/; it holds loss.json, metrics.json, plots/`,
    );
  });

  it('takes a directory with part of a model as the model, for the loader to name what is missing', () => {
    const dir = join(root, 'part');
    mkdirSync(join(dir, 'checkpoint'), { recursive: true });
    writeFileSync(join(dir, 'config.json'), '{}');
    expect(resolveModelDir(dir)).toBe(dir);
    writeFixtureModel(join(dir, 'checkpoint'));
    expect(resolveModelDir(dir)).toBe(join(dir, 'checkpoint'));
  });
});

describe('values checked against the model', () => {
  const size = readModelSize(writeFixtureModel(join(root, 'size')));

  it('reads the vocabulary and context from config.json', () => {
    expect(size).toEqual({ vocabSize: 50257, contextLength: 64 });
  });

  it('names the option and the limit it exceeds', () => {
    expect(() => checkModelBounds(size, { tokenIds: { 'eos-id': 50257 } })).toThrow(
      "--eos-id 50257 is outside the model's vocabulary (ids 0 to 50256)",
    );
    expect(() => checkModelBounds(size, { vocabularyCounts: { 'top-k': 50258 } })).toThrow(
      "--top-k 50258 is above the model's vocabulary of 50257 tokens",
    );
    expect(() => checkModelBounds(size, { lengths: { 'max-length': 65 } })).toThrow(
      "--max-length 65 is above the model's context length of 64",
    );
    expect(() => checkIdsInVocabulary('ids', [1, 50257], size)).toThrow(
      "--ids: token id 50257 is outside the model's vocabulary (ids 0 to 50256)",
    );
  });

  it('lets values within the limits, and options not given, pass', () => {
    expect(() =>
      checkModelBounds(size, {
        tokenIds: { 'eos-id': 50256, off: -1 },
        vocabularyCounts: { 'top-k': 50257, unset: undefined },
        lengths: { 'context-length': 64 },
      }),
    ).not.toThrow();
    expect(() => checkIdsInVocabulary('ids', [0, 50256], size)).not.toThrow();
  });
});
