// Seeded fuzzing of what a family reads from outside: config.json fields of arbitrary JSON values
// for Llama 3 and Qwen3, and arbitrary shard indexes. Every input gives a config (or weights) that
// holds together, or a one-line UserError, never another exception.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from 'llm-scratch-core/errors';
import { openHubWeights } from '../../../src/io/hub-weights.js';
import { llama3 } from '../../../src/llm/families/llama3.js';
import { qwen3 } from '../../../src/llm/families/qwen3.js';
import { FIXTURES } from './fixture-cases.js';

const SEED = 42;
const root = mkdtempSync(join(tmpdir(), 'family-fuzz-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function cleanly<R>(read: () => R): R | undefined {
  try {
    return read();
  } catch (err) {
    expect(err, String((err as Error)?.stack)).toBeInstanceOf(UserError);
    expect((err as Error).message).not.toMatch(/[\n\r]/);
    return undefined;
  }
}

const base = {
  vocab_size: 64,
  hidden_size: 32,
  intermediate_size: 48,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 128,
};
const KEYS = [
  ...Object.keys(base),
  'head_dim',
  'rms_norm_eps',
  'rope_theta',
  'rope_scaling',
  'tie_word_embeddings',
  'eos_token_id',
  'attention_bias',
  'layer_types',
  'sliding_window',
  'use_sliding_window',
  'hidden_act',
];

describe('config.json of the families on arbitrary values', () => {
  for (const family of [llama3, qwen3]) {
    it(`${family.name}: a config that holds together, or one line naming the field`, () => {
      fc.assert(
        fc.property(fc.constantFrom(...KEYS), fc.jsonValue({ maxDepth: 2 }), (key, value) => {
          const config = cleanly(() =>
            family.configFromHF({ model_type: family.modelTypes[0], ...base, [key]: value }, 'config.json'),
          );
          if (!config) return;
          expect(config.nHeads % config.nKVHeads).toBe(0);
          expect(config.headDim % 2).toBe(0);
          // What it accepts, it counts and writes back as transformers reads it.
          expect(family.parameterCount(config).total).toBeGreaterThan(0);
          expect(family.configFromHF(family.configToHF(config), 'again')).toEqual(config);
        }),
        { seed: SEED, numRuns: 300 },
      );
    });
  }
});

describe('shard indexes of arbitrary JSON', () => {
  it('open the shards they describe, or say in one line what is wrong', () => {
    const shards = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
    let n = 0;
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), fc.boolean(), (weightMap, wrapped) => {
        const dir = join(root, String(n++));
        mkdirSync(dir);
        for (const s of shards) copyFileSync(join(FIXTURES, 'llama3-bf16-sharded', s), join(dir, s));
        writeFileSync(
          join(dir, 'model.safetensors.index.json'),
          JSON.stringify(wrapped ? { weight_map: weightMap } : weightMap),
        );
        const weights = cleanly(() => openHubWeights(dir));
        weights?.close();
      }),
      { seed: SEED, numRuns: 100 },
    );
  });
});
