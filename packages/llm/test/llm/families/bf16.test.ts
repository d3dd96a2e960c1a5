// Llama 3, Qwen3 and Gemma 3 with their matrices in bf16 (loadModel's dtype 'bf16', what
// generate / chat / serve do by default for a bf16 checkpoint): on every family fixture and both
// backends, a bf16 file gives the PyTorch reference's logits (its weights are exactly bf16) and an
// f32 file gives the logits of its weights rounded to bf16 (what the rounding explains); greedy ids
// recorded beside f32's; training refused with a reason; saved as a bf16 checkpoint that loads back
// bit for bit; a corrupted bf16 value named.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { roundToBf16 } from '../../../src/backend/bf16.js';
import { readSafetensorsHeader } from '../../../src/io/safetensors.js';
import { keepMatricesInBf16, loadModel, saveModel } from '../../../src/llm/families/load.js';
import type { CausalLM } from '../../../src/llm/families/family.js';
import { generate } from '../../../src/llm/generate.js';
import { bf16Bits } from '../../../src/tensor/bf16-weights.js';
import { noGrad, Tensor } from '../../../src/tensor/index.js';
import { describeEachBackend } from '../../helpers/backends.js';
import { CASES, expected, FIXTURES } from './fixture-cases.js';

const tmp = mkdtempSync(join(tmpdir(), 'family-bf16-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const storedInBf16 = (c: string) => c.includes('-bf16');

function logitsOf(model: CausalLM, ids: number[]): Float32Array {
  return noGrad(() => model.forward(new Tensor(Int32Array.from(ids), [1, ids.length]))).f32();
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describeEachBackend('family models with bf16 matrices', () => {
  for (const c of CASES) {
    it(`${c}: matrices held in bf16 only, logits and greedy ids as bf16 explains`, () => {
      const want = expected(c);
      const f32 = loadModel(join(FIXTURES, c)).eval();
      const bf16 = loadModel(join(FIXTURES, c), { dtype: 'bf16' }).eval();
      expect(bf16.numParameters()).toBe(f32.numParameters());
      for (const p of bf16.parameters()) expect(bf16Bits(p) !== undefined).toBe(p.ndim === 2);
      const logits = logitsOf(bf16, want.ids);
      if (storedInBf16(c)) {
        // The file's weights are bf16: the reference computed with exactly these.
        expect(maxDiff(logits, want.logits.flat())).toBeLessThan(1e-4);
      } else {
        // Rounding is all that differs: the f32 model with its matrices rounded gives the same logits.
        for (const p of f32.parameters()) if (p.ndim === 2) p.f32().set(roundToBf16(p.f32()));
        const rounded = logitsOf(f32, want.ids);
        expect(maxDiff(logits, rounded)).toBeLessThan(1e-4);
        expect(maxDiff(logits, want.logits.flat())).toBeGreaterThan(1e-3);
      }
      // Recorded beside f32's: on these prompts bf16 changes none of the greedy ids.
      expect(generate(bf16, want.ids, { maxNewTokens: want.greedy.length, temperature: 0 })).toEqual(
        want.greedy,
      );
      expect(generate(bf16, want.ids, { maxNewTokens: 4, kvCache: false })).toEqual(want.greedy.slice(0, 4));
    });
  }

  it('refuses to train a bf16 model, and says why', () => {
    const c = CASES[0];
    const model = loadModel(join(FIXTURES, c), { dtype: 'bf16' }).train();
    const ids = new Tensor(Int32Array.from(expected(c).ids), [1, expected(c).ids.length]);
    expect(() => model.forward(ids)).toThrow(/kept in bf16 for inference only .*load it in f32 to train/);
  });

  it('a model made in memory keeps the same bf16 as one loaded so', () => {
    const c = CASES.find((x) => !storedInBf16(x))!;
    const made = loadModel(join(FIXTURES, c)).eval();
    keepMatricesInBf16(made);
    const loaded = loadModel(join(FIXTURES, c), { dtype: 'bf16' }).eval();
    const ids = expected(c).ids;
    expect(Array.from(logitsOf(made, ids))).toEqual(Array.from(logitsOf(loaded, ids)));
  });
});

describe('saving and reading bf16 family models', () => {
  it('saves a bf16 model as a bf16 checkpoint that loads back bit for bit', () => {
    for (const c of CASES) {
      const model = loadModel(join(FIXTURES, c), { dtype: 'bf16' }).eval();
      const dir = join(tmp, `saved-${c}`);
      saveModel(dir, model);
      const header = readSafetensorsHeader(join(dir, 'model.safetensors'));
      for (const [name, t] of header.tensors)
        expect([name, t.dtype]).toEqual([name, t.shape.length === 2 ? 'BF16' : 'F32']);
      expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).torch_dtype).toBe('bfloat16');
      const again = loadModel(dir, { dtype: 'bf16' }).eval();
      const ids = expected(c).ids;
      expect(Array.from(logitsOf(again, ids))).toEqual(Array.from(logitsOf(model, ids)));
      if (!storedInBf16(c))
        expect(statSync(join(dir, 'model.safetensors')).size).toBeLessThan(
          0.6 * statSync(join(FIXTURES, c, 'model.safetensors')).size,
        );
    }
  });

  it('names a corrupted bf16 value (an infinity) with its tensor and element', () => {
    const c = CASES.find(storedInBf16)!;
    const dir = join(tmp, `corrupt-${c}`);
    cpSync(join(FIXTURES, c), dir, { recursive: true });
    const shard = readdirSync(dir).find((f) => f.endsWith('.safetensors'))!;
    const file = join(dir, shard);
    const header = readSafetensorsHeader(file);
    const [name, entry] = [...header.tensors].find(([, t]) => t.shape.length === 2)!;
    const bytes = readFileSync(file);
    bytes.writeUInt16LE(0x7f80, header.dataStart + entry.begin + 2 * 5); // +Infinity at element 5
    writeFileSync(file, bytes);
    expect(() => loadModel(dir, { dtype: 'bf16' })).toThrow(`tensor '${name}' holds Infinity at element 5`);
  });
});
