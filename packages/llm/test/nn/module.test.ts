import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModule, saveModule } from '../../src/io/state-dict.js';
import {
  Dropout,
  Embedding,
  LayerNorm,
  Linear,
  Module,
  ModuleList,
  Sequential,
  Tanh,
} from '../../src/nn/index.js';
import { AdamW } from '../../src/optim/index.js';
import * as T from '../../src/tensor/index.js';
import { Rng, Tensor } from '../../src/tensor/index.js';
import { describeEachBackend } from '../helpers/backends.js';

const dir = mkdtempSync(join(tmpdir(), 'llm-scratch-nn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

class Block extends Module {
  att: Linear;
  norm1: LayerNorm;
  constructor(rng: Rng) {
    super();
    this.att = new Linear(4, 4, { rng });
    this.norm1 = new LayerNorm(4);
  }
}

class Tiny extends Module {
  tok_emb: Embedding;
  trf_blocks: ModuleList<Block>;
  out_head: Linear;
  constructor(rng = new Rng(1)) {
    super();
    this.tok_emb = new Embedding(10, 4, { rng });
    this.trf_blocks = new ModuleList([new Block(rng), new Block(rng)]);
    this.out_head = new Linear(4, 10, { rng, bias: false });
  }
}

describe('Module', () => {
  it('names parameters with PyTorch dotted paths in registration order', () => {
    expect([...new Tiny().stateDict().keys()]).toEqual([
      'tok_emb.weight',
      'trf_blocks.0.att.weight',
      'trf_blocks.0.att.bias',
      'trf_blocks.0.norm1.scale',
      'trf_blocks.0.norm1.shift',
      'trf_blocks.1.att.weight',
      'trf_blocks.1.att.bias',
      'trf_blocks.1.norm1.scale',
      'trf_blocks.1.norm1.shift',
      'out_head.weight',
    ]);
  });

  it('counts parameters, once for a tied weight, and freezes by turning gradients off', () => {
    const m = new Tiny();
    expect(m.numParameters()).toBe(10 * 4 + 2 * (16 + 4 + 4 + 4) + 40);
    m.out_head.weight = m.tok_emb.weight;
    expect(m.numParameters()).toBe(10 * 4 + 2 * 28);
    m.requiresGrad_(false);
    m.trf_blocks.at(-1).requiresGrad_(true);
    expect(m.numParameters({ trainableOnly: true })).toBe(28);
  });

  it('round-trips its state dict through a safetensors file', () => {
    const a = new Tiny(new Rng(1));
    const b = new Tiny(new Rng(2));
    const file = join(dir, 'tiny.safetensors');
    saveModule(file, a);
    expect(b.tok_emb.weight.data).not.toEqual(a.tok_emb.weight.data);
    loadModule(file, b);
    for (const [name, t] of a.stateDict()) expect(b.stateDict().get(name)!.data, name).toEqual(t.data);
  });

  it('names the tensor and both shapes when a shape does not fit, and missing or unexpected keys', () => {
    const m = new Tiny();
    const state = m.stateDict();
    state.set('trf_blocks.1.att.weight', T.zeros([4, 5]));
    expect(() => m.loadStateDict(state)).toThrow(
      'loadStateDict: shape mismatch for trf_blocks.1.att.weight: expected [4, 4], got [4, 5]',
    );
    const partial = new Tiny().stateDict();
    partial.delete('out_head.weight');
    partial.set('extra.weight', T.zeros([1]));
    expect(() => m.loadStateDict(partial)).toThrow(
      'missing keys: out_head.weight. unexpected keys: extra.weight',
    );
    expect(m.loadStateDict(partial, { strict: false })).toEqual({
      missing: ['out_head.weight'],
      unexpected: ['extra.weight'],
    });
  });

  it('initialises Linear and Embedding as PyTorch does (uniform +-1/sqrt(in), standard normal)', () => {
    const lin = new Linear(400, 300, { rng: new Rng(3) });
    const bound = 1 / Math.sqrt(400);
    const w = lin.weight.data;
    expect(Math.max(...w)).toBeLessThanOrEqual(bound);
    expect(Math.min(...w)).toBeGreaterThanOrEqual(-bound);
    expect(Math.abs(lin.weight.var().item() - (bound * bound) / 3)).toBeLessThan(1e-4);
    const emb = new Embedding(1000, 100, { rng: new Rng(4) });
    expect(Math.abs(emb.weight.mean().item())).toBeLessThan(0.02);
    expect(Math.abs(emb.weight.var().item() - 1)).toBeLessThan(0.02);
  });

  it('applies dropout only in training mode', () => {
    const d = new Dropout(0.5, new Rng(5));
    const x = T.ones([1000]);
    const trained = d.forward(x).data;
    expect(trained.filter((v) => v === 0).length).toBeGreaterThan(400);
    expect(new Set(trained)).toEqual(new Set([0, 2]));
    d.eval();
    expect(d.forward(x)).toBe(x);
  });
});

describeEachBackend('training', () => {
  it('a small MLP learns XOR', () => {
    const rng = new Rng(11);
    const model = new Sequential(new Linear(2, 8, { rng }), new Tanh(), new Linear(8, 1, { rng }));
    const x = T.tensor([
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ]);
    const y = T.tensor([[0], [1], [1], [0]]);
    const opt = new AdamW(model.parameters(), { lr: 0.05, weightDecay: 0 });
    let loss = Infinity;
    for (let step = 0; step < 500; step++) {
      opt.zeroGrad();
      const l = model.forward(x).sub(y).square().mean();
      l.backward();
      opt.step();
      loss = l.item();
    }
    expect(loss).toBeLessThan(1e-3);
    const pred = T.noGrad(() => model.forward(x));
    expect(Array.from(pred.data).map((v) => Math.round(v) + 0)).toEqual([0, 1, 1, 0]);
  });

  it('frees the tape: parameters keep no graph and memory stays flat over many steps', async () => {
    const rng = new Rng(12);
    const model = new Sequential(new Linear(32, 32, { rng }), new Tanh(), new Linear(32, 32, { rng }));
    const opt = new AdamW(model.parameters());
    // Each activation is 256 KB, so keeping even one per step would add 15 MB over 60 steps.
    const x = T.randn([2048, 32], { rng });
    const step = () => {
      opt.zeroGrad();
      const out: Tensor = model.forward(x).square().mean();
      out.backward();
      opt.step();
      return out;
    };
    for (let i = 0; i < 10; i++) step();
    const gc = (globalThis as { gc?: () => void }).gc;
    if (!gc) throw new Error('run the tests with --expose-gc (vitest.config.ts sets it)');
    // Array buffers are released by a background sweeper after a full collection.
    const settle = async () => {
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    await settle();
    // Tensor buffers live in array buffers; the test runner's own heap would only add noise.
    const before = process.memoryUsage().arrayBuffers;
    let last: Tensor | null = null;
    for (let i = 0; i < 60; i++) last = step();
    await settle();
    const after = process.memoryUsage().arrayBuffers;
    expect(last!.gradFn).toBeNull();
    expect(after - before).toBeLessThan(4 * 1024 * 1024);
  });
});
