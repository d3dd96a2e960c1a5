// The output head and the cross-entropy in one op, a block of rows at a time, so that the logits
// (rows x V, 50,257 wide for GPT-2) never live all at once: 256 or 512 rows of logits are made,
// turned into their loss and, when gradients are recorded, at once into their gradient (the softmax
// minus the one-hot, in place), which goes into dx (dlogits @ W) and dW (+= dlogits^T @ x) before
// the next block reuses the buffer. Nothing is recomputed: a row's log-sum-exp needs only its own
// logits. The gradients are therefore made in the forward and handed to autograd by the backward,
// scaled by the loss's upstream gradient (1 in training, where this is the loss).
import { kernels } from '../../backend/index.js';
import { needsGrad, record } from '../autograd.js';
import { formatShape } from '../shape.js';
import { emptyF32, release, zerosF32 } from '../storage.js';
import { Tensor } from '../tensor.js';
import { matrixProduct } from '../precision.js';

// Rows per block: a multiple of the GEMM's depth block (kc = 256 on both ISAs), so that dW's
// accumulating products read and write dW as often as the one product over all rows would; 512
// where the block's logits fit in 128 MiB (GPT-2's 50,257 classes: 103 MB, and a gpt2-small
// training step about 4% faster than with 256, the head's products running at twice the rows),
// else 256 (Llama 3's 128,256 classes: 131 MB; Gemma 3's 262,144: 268 MB).
const DEPTH_BLOCK = 256;
const MAX_ROWS_PER_BLOCK = 512;
const LOGITS_BLOCK_BYTES = 128 * 2 ** 20;

export function rowsPerBlock(vocab: number): number {
  const fit = Math.floor(LOGITS_BLOCK_BYTES / (4 * vocab) / DEPTH_BLOCK) * DEPTH_BLOCK;
  return Math.max(DEPTH_BLOCK, Math.min(MAX_ROWS_PER_BLOCK, fit));
}

// Mean (over targets not ignored) cross-entropy of x (rows, C) @ weight^T, weight (V, C) as
// torch.nn.Linear keeps it without a bias, against int32 targets (rows); equal within float
// rounding to crossEntropy(linear(x, weight), targets).
export function linearCrossEntropy(
  x: Tensor,
  weight: Tensor,
  targets: Tensor,
  options: { ignoreIndex?: number } = {},
): Tensor {
  const ignoreIndex = options.ignoreIndex ?? -100;
  const [vocab, dim] = weight.shape;
  const t = targets.i32('linearCrossEntropy');
  if (weight.ndim !== 2 || x.ndim !== 2 || x.shape[1] !== dim || t.length !== x.shape[0]) {
    throw new Error(
      `linearCrossEntropy: input ${formatShape(x.shape)}, weight ${formatShape(weight.shape)} and targets ${formatShape(targets.shape)} do not match`,
    );
  }
  let count = 0;
  for (const target of t) {
    if (target === ignoreIndex) continue;
    if (target < 0 || target >= vocab)
      throw new RangeError(`linearCrossEntropy: target ${target} is out of range for ${vocab} classes`);
    count++;
  }
  const rows = x.shape[0];
  const scale = 1 / count;
  const k = kernels();
  const xs = x.f32('linearCrossEntropy');
  const w = weight.f32('linearCrossEntropy');
  const recorded = needsGrad([x, weight]);
  const dx = recorded && x.requiresGrad ? emptyF32(rows * dim) : null;
  const dw = recorded && weight.requiresGrad ? zerosF32(vocab * dim) : null;
  const block = Math.min(rowsPerBlock(vocab), rows);
  const logits = emptyF32(block * vocab);
  const lse = emptyF32(block);
  let total = 0;
  for (let r0 = 0; r0 < rows; r0 += block) {
    const n = Math.min(block, rows - r0);
    const xBlock = xs.subarray(r0 * dim, (r0 + n) * dim);
    const tBlock = t.subarray(r0, r0 + n);
    const z = logits.subarray(0, n * vocab);
    const product = { batch: 1, strideA: 0, strideB: 0, strideC: 0 };
    matrixProduct({
      ...product,
      a: xBlock,
      b: w,
      c: z,
      m: n,
      k: dim,
      n: vocab,
      transA: false,
      transB: true,
      accumulate: false,
    });
    total += k.crossEntropy(z, tBlock, n, vocab, ignoreIndex, lse);
    if (!dx && !dw) continue;
    k.crossEntropyBackward(z, tBlock, lse, n, vocab, ignoreIndex, scale, z);
    if (dx) {
      const dxBlock = dx.subarray(r0 * dim, (r0 + n) * dim);
      matrixProduct({
        ...product,
        a: z,
        b: w,
        c: dxBlock,
        m: n,
        k: vocab,
        n: dim,
        transA: false,
        transB: false,
        accumulate: false,
      });
    }
    if (dw)
      matrixProduct({
        ...product,
        a: z,
        b: xBlock,
        c: dw,
        m: vocab,
        k: n,
        n: dim,
        transA: true,
        transB: false,
        accumulate: true,
      });
  }
  release(logits);
  release(lse);
  const loss = new Tensor(emptyF32(1).fill(total * scale), []);
  const made = [dx, dw].filter((d): d is Float32Array => d !== null);
  let handedOver = false;
  return record(
    loss,
    'linearCrossEntropy',
    [x, weight],
    (g) => {
      // The buffers go to autograd (a leaf may keep one as its .grad): a second walk cannot have them.
      if (handedOver)
        throw new Error(
          'linearCrossEntropy: its gradients are made once, in the forward; backward through it runs once',
        );
      handedOver = true;
      const upstream = g.item();
      if (upstream !== 1) for (const d of made) k.affine(d, upstream, 0, d);
      return [dx ? new Tensor(dx, x.shape) : null, dw ? new Tensor(dw, weight.shape) : null];
    },
    undefined,
    made,
  );
}
