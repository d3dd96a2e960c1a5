// A training step in its steady state makes no new buffers: the counter of the tensor storage
// layer (storage.ts) counts every typed array the library makes, and a recycling backward gives
// the graph's buffers back for the next step to take. Counting, not timing. And a large buffer lands
// on 2 MiB pages on the native backend, which the process's own page counts show.
import { expect, it } from 'vitest';
import { GPTModel } from '../../src/llm/gpt.js';
import { calcLossBatch } from '../../src/llm/pretrain.js';
import { AdamW } from '../../src/optim/index.js';
import { allocationStats, Rng, tensor, type AllocationStats } from '../../src/tensor/index.js';
import { emptyF32 } from '../../src/tensor/storage.js';
import { describeEachBackend } from '../helpers/backends.js';
import { anonHugeBytes, hugePagesOffered, thpMode } from '../helpers/huge-pages.js';

const [B, Tn, V] = [2, 16, 97];

// Trains `steps` AdamW steps of a small GPT (dropout on, so its masks are made and given back too)
// as the training loop does; returns each step's loss and what each step allocated.
function train(steps: number, recycle: boolean): { losses: number[]; made: AllocationStats[] } {
  const model = new GPTModel(
    { vocabSize: V, contextLength: Tn, embDim: 32, nHeads: 4, nLayers: 2, dropRate: 0.1, qkvBias: false },
    { rng: new Rng(1) },
  );
  const optimizer = new AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.1 });
  const rng = new Rng(2);
  const inputs = Int32Array.from({ length: B * Tn }, () => rng.int(0, V));
  const targets = Int32Array.from({ length: B * Tn }, () => rng.int(0, V));
  const losses: number[] = [];
  const made: AllocationStats[] = [];
  for (let s = 0; s < steps; s++) {
    const before = allocationStats();
    optimizer.zeroGrad();
    const loss = calcLossBatch(model, { inputs, targets, shape: [B, Tn] });
    loss.backward(undefined, { recycle });
    optimizer.step();
    losses.push(loss.item());
    const after = allocationStats();
    made.push({
      arrays: after.arrays - before.arrays,
      bytes: after.bytes - before.bytes,
      reused: after.reused - before.reused,
    });
  }
  return { losses, made };
}

describeEachBackend('allocation in a training step', () => {
  it('step 3 makes (nearly) no new buffers: only the positions and the loss scalar', () => {
    const { made } = train(4, true);
    // The first step makes every activation, gradient and optimizer moment.
    expect(made[0].arrays).toBeGreaterThan(50);
    // From then on the pool serves them: what is left is the int32 positions of the embedding
    // (16 ids) and the loss the caller keeps (1 float): 68 bytes.
    for (const step of made.slice(2)) {
      expect(step.arrays).toBeLessThanOrEqual(2);
      expect(step.bytes).toBeLessThanOrEqual(68);
      expect(step.reused).toBeGreaterThan(50);
    }
  });

  it('without recycling every step makes its activations anew (the counter sees them)', () => {
    const { made } = train(3, false);
    expect(made[2].arrays).toBeGreaterThan(50);
  });

  it('recycling changes no loss: the same losses, bit for bit, as a backward that keeps the graph', () => {
    expect(train(5, true).losses).toEqual(train(5, false).losses);
  });

  it('a second backward accumulates into the same gradient buffer', () => {
    const w = tensor([1, 2, 3], { requiresGrad: true });
    w.mul(w).sum().backward();
    const first = w.grad!;
    expect(Array.from(first.data)).toEqual([2, 4, 6]);
    w.mul(3).sum().backward();
    expect(w.grad).toBe(first);
    expect(Array.from(first.data)).toEqual([5, 7, 9]);
  });

  it('a gradient that reaches two inputs is not shared by their .grad', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4], { requiresGrad: true });
    a.add(b).sum().backward(undefined, { recycle: true });
    expect(a.grad!.data).not.toBe(b.grad!.data);
    a.grad!.data[0] = 10;
    expect(Array.from(b.grad!.data)).toEqual([1, 1]);
  });
});

describeEachBackend('buffers of 4 MiB or more', (backend) => {
  it.runIf(hugePagesOffered)(
    backend === 'native' ? 'lie on 2 MiB pages, as numpy puts its arrays' : 'are left on the pages they get',
    () => {
      const before = anonHugeBytes();
      const big = emptyF32((24 * 1024 * 1024) / 4).fill(1);
      const gained = anonHugeBytes() - before;
      if (backend === 'native') {
        // Its 2 MiB-aligned interior is 22 MiB or more; half of that allows for a machine short of
        // free 2 MiB pages, and none are given unasked in madvise mode.
        expect(gained).toBeGreaterThanOrEqual(12 * 1024 * 1024);
      } else if (/\[madvise\]/.test(thpMode)) {
        // The reference backend asks for nothing, and in madvise mode nothing is given unasked.
        expect(gained).toBeLessThan(2 * 1024 * 1024);
      }
      expect(big[big.length - 1]).toBe(1);
    },
  );
});
