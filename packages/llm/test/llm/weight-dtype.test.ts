// The weight type of generate / chat / respond / serve: --dtype, or what the files store. A bf16
// checkpoint decodes in bf16 by default; f32 checkpoints stay f32 unless asked; GPT-2 in bf16 needs
// the KV cache. Greedy continuations of the fixture prompts in both types are compared on the same
// files, for GPT-2 and for the other families.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toBf16 } from '../../src/backend/bf16.js';
import { llmScratch } from '../../src/cli/llm-scratch.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { loadModel } from '../../src/llm/families/load.js';
import { generate } from '../../src/llm/generate.js';
import { loadForInference, storedWeightDType } from '../../src/llm/weight-dtype.js';
import { ModelRegistry, parseModelSpec } from '../../src/serve/registry.js';
import { bf16Bits } from '../../src/tensor/bf16-weights.js';
import type { Tensor } from '../../src/tensor/index.js';
import { runCli } from '../../../../test/helpers/cli.js';
import { fixture, writeFixtureModel } from '../helpers/gpt2-fixture.js';
import { saveTinyLlama } from '../serve/openai-server.js';
import { expected as expectedFamily, FIXTURES as FAMILY_FIXTURES } from './families/fixture-cases.js';

const dir = mkdtempSync(join(tmpdir(), 'llm-scratch-dtype-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const f32Dir = writeFixtureModel(join(dir, 'f32'));

// The fixture model with every float tensor stored as BF16, as a bf16 checkpoint from the hub is.
function writeBf16Copy(from: string, to: string): string {
  mkdirSync(to, { recursive: true });
  copyFileSync(join(from, 'config.json'), join(to, 'config.json'));
  const { tensors } = readSafetensors(join(from, 'model.safetensors'));
  const header: Record<string, unknown> = {};
  const parts: Buffer[] = [];
  let offset = 0;
  for (const [name, t] of [...tensors].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const bits = toBf16(t.data as Float32Array);
    const bytes = Buffer.from(bits.buffer, bits.byteOffset, bits.byteLength);
    header[name] = { dtype: 'BF16', shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(join(to, 'model.safetensors'), Buffer.concat([length, json, ...parts]));
  return to;
}

const bf16Dir = writeBf16Copy(f32Dir, join(dir, 'bf16'));
const gen = async (...args: string[]) => {
  const ids = fixture.ids.join(',');
  const r = await runCli(llmScratch, ['generate', '--ids', ids, '--max-new-tokens', '30', '--json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).newIds as number[];
};

describe('--dtype', () => {
  it('defaults to the type the file stores', () => {
    expect(storedWeightDType(f32Dir)).toBe('f32');
    expect(storedWeightDType(bf16Dir)).toBe('bf16');
    expect(readFileSync(join(bf16Dir, 'model.safetensors')).length).toBeLessThan(
      readFileSync(join(f32Dir, 'model.safetensors')).length * 0.51,
    );
  });

  it('generates in bf16 by default from a bf16 file, and in either type on request', async () => {
    const f32 = await gen('--model', f32Dir);
    expect(f32).toEqual(fixture.greedy);
    const bf16Default = await gen('--model', bf16Dir);
    expect(bf16Default).toHaveLength(30);
    expect(await gen('--model', bf16Dir, '--dtype', 'bf16')).toEqual(bf16Default);
    // The bf16 file widened to f32 decodes the same numbers the bf16 path does (bf16 -> f32 -> bf16
    // is exact), so the greedy tokens agree.
    expect(await gen('--model', bf16Dir, '--dtype', 'f32')).toEqual(bf16Default);
    // Recorded beside f32's: on this fixture bf16 rounding changes none of the 30 greedy tokens.
    expect(await gen('--model', f32Dir, '--dtype', 'bf16')).toEqual(fixture.greedy);
  });

  it('refuses bf16 without the KV cache, and an unknown type', async () => {
    const noCache = await runCli(llmScratch, [
      'generate',
      '--model',
      f32Dir,
      '--ids',
      '1,2',
      '--dtype',
      'bf16',
      '--no-kv-cache',
    ]);
    expect(noCache.code).toBe(2);
    expect(noCache.stderr).toContain('--dtype bf16 decodes GPT-2 with the KV cache');
    const bad = await runCli(llmScratch, ['generate', '--model', f32Dir, '--ids', '1,2', '--dtype', 'int8']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--dtype must be one of f32, bf16, got 'int8'");
  });
});

// Llama 3, Qwen3 and Gemma 3 take --dtype too: their matrices in bf16 (families/load.ts).
describe('--dtype on the other families', () => {
  const family = (c: string) => join(FAMILY_FIXTURES, c);
  const matricesInBf16 = (model: { parameters(): Tensor[] }) =>
    model
      .parameters()
      .filter((p) => p.ndim === 2)
      .every((p) => bf16Bits(p) !== undefined);

  it('reads the type that one file or shards store', () => {
    expect(storedWeightDType(family('llama3-bf16-sharded'))).toBe('bf16');
    expect(storedWeightDType(family('llama3-f32'))).toBe('f32');
  });

  it('loads for inference in the type asked for, or the stored one', () => {
    expect(matricesInBf16(loadForInference(family('qwen3-untied-bf16-sharded'), undefined))).toBe(true);
    expect(matricesInBf16(loadForInference(family('qwen3-f32'), undefined))).toBe(false);
    expect(matricesInBf16(loadForInference(family('qwen3-f32'), 'bf16'))).toBe(true);
    expect(matricesInBf16(loadForInference(family('qwen3-untied-bf16-sharded'), 'f32'))).toBe(false);
  });

  it('generates the reference greedy ids with bf16 matrices, with and without the KV cache', async () => {
    for (const c of ['gemma3-f32', 'llama3-bf16-sharded']) {
      const want = expectedFamily(c);
      const args = ['generate', '--model', family(c), '--ids', want.ids.join(','), '--max-new-tokens', '8'];
      for (const extra of [['--dtype', 'bf16'], ['--dtype', 'bf16', '--no-kv-cache'], []]) {
        const r = await runCli(llmScratch, [
          ...args,
          '--temperature',
          '0',
          '--eos-id',
          '-1',
          '--json',
          ...extra,
        ]);
        expect(r.code, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout).newIds).toEqual(want.greedy);
      }
    }
  });

  it('serves a family model with bf16 matrices', () => {
    const llama = saveTinyLlama(join(dir, 'llama-chat'));
    const registry = ModelRegistry.load([parseModelSpec(llama)], { maxQueue: 1, dtype: 'bf16' });
    const served = registry.get('llama-chat')!;
    expect(matricesInBf16(served.model)).toBe(true);
    const ids = [1, 2, 3, 4, 5];
    const alone = loadModel(llama, { dtype: 'bf16' });
    expect(generate(served.model, ids, { maxNewTokens: 8 })).toEqual(
      generate(alone, ids, { maxNewTokens: 8 }),
    );
  });
});
