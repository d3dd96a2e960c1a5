// The hub layout of weights, whatever the model: one file or shards with their index, written and
// read back equal, dtypes widened per tensor, and each way an index can disagree with its shards
// refused with one line naming the shard or the tensor.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from 'llm-scratch-core/errors';
import { openHubWeights, writeHubWeights } from '../../src/io/hub-weights.js';
import * as T from '../../src/tensor/index.js';
import { Rng, type Tensor } from '../../src/tensor/index.js';

const root = mkdtempSync(join(tmpdir(), 'hub-weights-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const rng = new Rng(11);
const tensors = new Map<string, Tensor>([
  ['model.embed_tokens.weight', T.randn([50, 8], { rng })],
  ['model.layers.0.mlp.up_proj.weight', T.randn([16, 8], { rng })],
  ['model.layers.1.mlp.up_proj.weight', T.randn([16, 8], { rng })],
  ['model.norm.weight', T.randn([8], { rng })],
]);

function dirWith(name: string, maxShardBytes?: number): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeHubWeights(dir, tensors, { maxShardBytes });
  return dir;
}

function readAll(dir: string): Map<string, number[]> {
  const w = openHubWeights(dir);
  try {
    return new Map([...w.tensors.keys()].map((k) => [k, Array.from(w.read(k).data)]));
  } finally {
    w.close();
  }
}

const expectUserError = (fn: () => unknown, message: string | RegExp) => {
  expect(fn).toThrow(UserError);
  expect(fn).toThrow(message);
};

describe('hub weights', () => {
  it('writes one model.safetensors when the tensors fit in a shard, and reads it back equal', () => {
    const dir = dirWith('single');
    expect(readdirSync(dir).sort()).toEqual(['model.safetensors']);
    const back = readAll(dir);
    for (const [k, t] of tensors) expect(back.get(k)).toEqual(Array.from(t.data));
  });

  it('writes numbered shards and an index above the shard size, and reads them back equal', () => {
    const dir = dirWith('sharded', 1000);
    const files = readdirSync(dir).sort();
    expect(files).toEqual([
      'model-00001-of-00003.safetensors',
      'model-00002-of-00003.safetensors',
      'model-00003-of-00003.safetensors',
      'model.safetensors.index.json',
    ]);
    const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8'));
    expect(index.metadata.total_size).toBe(4 * (400 + 128 + 128 + 8));
    expect(Object.keys(index.weight_map).sort()).toEqual([...tensors.keys()].sort());
    const back = readAll(dir);
    for (const [k, t] of tensors) expect(back.get(k)).toEqual(Array.from(t.data));
    // Saving again in one file removes the shards: the directory holds one model.
    writeHubWeights(dir, tensors);
    expect(readdirSync(dir)).toEqual(['model.safetensors']);
  });

  it('widens bf16 shards per tensor (the bf16 fixture matches its f32 twin within bf16 rounding)', () => {
    const w = openHubWeights('test/fixtures/families/llama3-bf16-sharded');
    try {
      expect(w.files).toHaveLength(2);
      expect(new Set([...w.tensors.values()].map((t) => t.dtype))).toEqual(new Set(['BF16']));
      const t = w.read('model.norm.weight');
      expect(t.dtype).toBe('float32');
      // A bf16 value has no more than 8 significant bits: its low 16 bits are zero once widened.
      expect(new Uint32Array(t.f32().buffer).every((b) => (b & 0xffff) === 0)).toBe(true);
    } finally {
      w.close();
    }
  });

  describe('an index that does not fit its shards', () => {
    const broken = (name: string, edit: (dir: string, index: Record<string, unknown>) => void) => {
      const dir = dirWith(name, 1000);
      const path = join(dir, 'model.safetensors.index.json');
      const index = JSON.parse(readFileSync(path, 'utf8'));
      edit(dir, index);
      writeFileSync(path, JSON.stringify(index));
      return dir;
    };

    it('a missing shard is named', () => {
      const dir = broken('missing', (d) => rmSync(join(d, 'model-00002-of-00003.safetensors')));
      expectUserError(
        () => openHubWeights(dir),
        "shard 'model-00002-of-00003.safetensors' named in model.safetensors.index.json is missing",
      );
    });

    it('a tensor of a shard that the weight_map leaves out is named', () => {
      const dir = broken(
        'uncovered',
        (_, index) => delete (index.weight_map as Record<string, string>)['model.norm.weight'],
      );
      expectUserError(
        () => openHubWeights(dir),
        /tensor 'model\.norm\.weight' of shard '.*' is not in the weight_map/,
      );
    });

    it('a tensor the weight_map puts in the wrong shard, or in no shard, is named', () => {
      const wrong = broken('wrong-shard', (_, index) => {
        (index.weight_map as Record<string, string>)['model.norm.weight'] =
          'model-00001-of-00003.safetensors';
      });
      expectUserError(
        () => openHubWeights(wrong),
        /the weight_map puts tensor 'model\.norm\.weight' in 'model-00001-of-00003\.safetensors', but it is in/,
      );
      const extra = broken('extra', (_, index) => {
        (index.weight_map as Record<string, string>)['lm_head.weight'] = 'model-00001-of-00003.safetensors';
      });
      expectUserError(
        () => openHubWeights(extra),
        /tensor 'lm_head\.weight' in 'model-00001-of-00003\.safetensors', which does not hold it/,
      );
    });

    it('a shard named by a path, an empty map or no map at all is refused', () => {
      const path = broken('path', (_, index) => {
        (index.weight_map as Record<string, string>)['model.norm.weight'] = '../elsewhere.safetensors';
      });
      expectUserError(() => openHubWeights(path), /not a file name in the model directory/);
      const empty = broken('empty', (_, index) => (index.weight_map = {}));
      expectUserError(() => openHubWeights(empty), /the weight_map is empty/);
      const none = broken('none', (_, index) => delete index.weight_map);
      expectUserError(() => openHubWeights(none), /expected an object with a 'weight_map'/);
    });
  });
});
