// The fused ops a network is made of: softmax, log-softmax, cross-entropy, layer norm, RMS norm,
// the rotary embedding and dropout, each a single kernel call forward and backward (linear is in
// linear.ts).
import { kernels } from '../../backend/index.js';
import { record } from '../autograd.js';
import { globalRng, type Rng } from '../random.js';
import { formatShape, normalizeAxis } from '../shape.js';
import { Tensor } from '../tensor.js';
import { binaryRaw } from './elementwise.js';
import { transpose } from './shape.js';
import { emptyF32, zerosF32 } from '../storage.js';

function softmaxAlong(log: boolean) {
  const name = log ? 'logSoftmax' : 'softmax';
  return (x: Tensor, axis = -1): Tensor => {
    const a = normalizeAxis(name, axis, x.ndim);
    if (a !== x.ndim - 1) return transpose(softmaxAlong(log)(transpose(x, a, -1), -1), a, -1);
    const cols = x.shape[x.ndim - 1] ?? 1;
    const rows = x.size / Math.max(cols, 1);
    const out = emptyF32(x.size);
    kernels().softmax(x.f32(name), rows, cols, out, log);
    const y = new Tensor(out, x.shape);
    return record(y, name, [x], (g) => {
      const dx = emptyF32(x.size);
      kernels().softmaxBackward(out, g.f32(), rows, cols, dx, log);
      return [new Tensor(dx, x.shape)];
    });
  };
}

export const softmax = softmaxAlong(false);
export const logSoftmax = softmaxAlong(true);

export interface CrossEntropyOptions {
  // Targets equal to this are skipped (PyTorch's default, -100).
  ignoreIndex?: number;
  reduction?: 'mean' | 'sum';
}

// Cross-entropy of logits (..., V) against int32 targets (...), as torch.nn.functional.cross_entropy
// with the class axis last. 'mean' divides by the number of targets not ignored.
export function crossEntropy(logits: Tensor, targets: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const ignoreIndex = options.ignoreIndex ?? -100;
  const vocab = logits.shape[logits.ndim - 1];
  const rows = logits.size / vocab;
  const t = targets.i32('crossEntropy');
  if (logits.ndim < 1 || t.length !== rows) {
    throw new Error(
      `crossEntropy: logits ${formatShape(logits.shape)} and targets ${formatShape(targets.shape)} do not match`,
    );
  }
  for (let i = 0; i < t.length; i++) {
    if (t[i] !== ignoreIndex && (t[i] < 0 || t[i] >= vocab)) {
      throw new RangeError(`crossEntropy: target ${t[i]} is out of range for ${vocab} classes`);
    }
  }
  const lse = emptyF32(rows);
  const x = logits.f32('crossEntropy');
  const total = kernels().crossEntropy(x, t, rows, vocab, ignoreIndex, lse);
  let count = 0;
  for (let i = 0; i < t.length; i++) if (t[i] !== ignoreIndex) count++;
  const scale = options.reduction === 'sum' ? 1 : 1 / count;
  const loss = new Tensor(emptyF32(1).fill(total * scale), []);
  return record(
    loss,
    'crossEntropy',
    [logits],
    (g) => {
      const dx = emptyF32(logits.size);
      kernels().crossEntropyBackward(x, t, lse, rows, vocab, ignoreIndex, scale * g.item(), dx);
      return [new Tensor(dx, logits.shape)];
    },
    [lse],
  );
}

// Layer normalisation over the last axis with biased variance, as the book's LayerNorm.
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-5): Tensor {
  const cols = x.shape[x.ndim - 1];
  if (gamma.size !== cols || beta.size !== cols) {
    throw new Error(
      `layerNorm: scale ${formatShape(gamma.shape)} and shift ${formatShape(beta.shape)} must have ${cols} values for input ${formatShape(x.shape)}`,
    );
  }
  const rows = x.size / cols;
  const out = emptyF32(x.size);
  const mean = emptyF32(rows);
  const rstd = emptyF32(rows);
  kernels().layerNorm(x.f32('layerNorm'), gamma.f32(), beta.f32(), rows, cols, eps, out, mean, rstd);
  return record(
    new Tensor(out, x.shape),
    'layerNorm',
    [x, gamma, beta],
    (g) => {
      const dx = emptyF32(x.size);
      const dgamma = zerosF32(cols);
      const dbeta = zerosF32(cols);
      kernels().layerNormBackward(x.f32(), gamma.f32(), mean, rstd, g.f32(), rows, cols, dx, dgamma, dbeta);
      return [new Tensor(dx, x.shape), new Tensor(dgamma, gamma.shape), new Tensor(dbeta, beta.shape)];
    },
    [mean, rstd],
  );
}

// Root-mean-square normalisation over the last axis (Llama, Qwen, Gemma): x / sqrt(mean(x^2) + eps)
// times the scale, or times (1 + scale) with unitOffset as Gemma stores it. One kernel forward and
// one backward, as layerNorm.
export function rmsNorm(
  x: Tensor,
  scale: Tensor,
  eps = 1e-6,
  options: { unitOffset?: boolean } = {},
): Tensor {
  const cols = x.shape[x.ndim - 1];
  if (scale.size !== cols)
    throw new Error(
      `rmsNorm: scale ${formatShape(scale.shape)} must have ${cols} values for input ${formatShape(x.shape)}`,
    );
  const unitOffset = options.unitOffset ?? false;
  const rows = x.size / cols;
  const out = emptyF32(x.size);
  const rstd = emptyF32(rows);
  kernels().rmsNorm(x.f32('rmsNorm'), scale.f32('rmsNorm'), rows, cols, eps, unitOffset, out, rstd);
  return record(
    new Tensor(out, x.shape),
    'rmsNorm',
    [x, scale],
    (g) => {
      const dx = emptyF32(x.size);
      const dscale = zerosF32(cols);
      kernels().rmsNormBackward(x.f32(), scale.f32(), rstd, g.f32(), rows, cols, unitOffset, dx, dscale);
      return [new Tensor(dx, x.shape), new Tensor(dscale, scale.shape)];
    },
    [rstd],
  );
}

// Rotary position embedding in the Hugging Face convention (rotate-half): the first and second
// halves of each head's channels form the pairs that rotate, x * cos + rotate_half(x) * sin.
// x (..., T, hs); cos and sin (T, hs), each angle repeated in both halves, or with leading axes of
// size 1 or x's (a position per batch row). The tables are constants: no gradient flows to them.
export function rotaryEmbedding(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  const hs = x.shape[x.ndim - 1];
  const tokens = x.shape[x.ndim - 2];
  const lead = cos.shape.slice(0, -2);
  const leadFits =
    lead.length <= x.ndim - 2 && lead.every((d, i) => d === 1 || d === x.shape[x.ndim - 2 - lead.length + i]);
  if (
    hs % 2 !== 0 ||
    cos.shape.slice(-2).join() !== `${tokens},${hs}` ||
    !leadFits ||
    sin.shape.join() !== cos.shape.join()
  )
    throw new Error(
      `rotaryEmbedding: cos ${formatShape(cos.shape)} and sin ${formatShape(sin.shape)} must be [${tokens}, ${hs}] (an even head size), leading axes broadcasting, for input ${formatShape(x.shape)}`,
    );
  if (cos.requiresGrad || sin.requiresGrad)
    throw new Error('rotaryEmbedding: cos and sin are constant tables; no gradient flows to them');
  const rows = x.size / hs;
  const angles = angleRows(x.shape.slice(0, -1), cos.shape.slice(0, -1));
  const turn = (input: Float32Array, transpose: boolean) => {
    const out = emptyF32(x.size);
    kernels().rope(
      input,
      cos.f32('rotaryEmbedding'),
      sin.f32('rotaryEmbedding'),
      angles,
      rows,
      hs,
      out,
      transpose,
    );
    return out;
  };
  return record(new Tensor(turn(x.f32('rotaryEmbedding'), false), x.shape), 'rotaryEmbedding', [x], (g) => [
    new Tensor(turn(g.f32(), true), x.shape),
  ]);
}

// For each row of x (its axes but the last), the row of the angle table (its axes but the last)
// that broadcasts onto it: axes aligned from the right, an axis of size 1 (or missing) repeated.
function angleRows(xAxes: readonly number[], tableAxes: readonly number[]): Int32Array {
  const rows = xAxes.reduce((p, d) => p * d, 1);
  const out = new Int32Array(rows);
  if (tableAxes.length === 1) {
    for (let r = 0; r < rows; r++) out[r] = r % tableAxes[0];
    return out;
  }
  const n = xAxes.length;
  const skip = n - tableAxes.length;
  const strides = xAxes.map((_, d) => {
    const k = d - skip;
    if (k < 0 || tableAxes[k] === 1) return 0;
    return tableAxes.slice(k + 1).reduce((p, q) => p * q, 1);
  });
  const index = new Array<number>(n).fill(0);
  let at = 0;
  for (let r = 0; r < rows; r++) {
    out[r] = at;
    for (let d = n - 1; d >= 0; d--) {
      index[d]++;
      at += strides[d];
      if (index[d] < xAxes[d]) break;
      at -= strides[d] * xAxes[d];
      index[d] = 0;
    }
  }
  return out;
}

// Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p).
// The mask comes from a seeded generator, so a run is reproducible on every backend.
export function dropout(x: Tensor, p: number, training: boolean, rng: Rng = globalRng): Tensor {
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: probability must be in [0, 1), got ${p}`);
  if (!training || p === 0) return x;
  const keep = 1 / (1 - p);
  const mask = emptyF32(x.size);
  for (let i = 0; i < mask.length; i++) mask[i] = rng.uniform() < p ? 0 : keep;
  const m = new Tensor(mask, x.shape);
  return record(binaryRaw('mul', x, m), 'dropout', [x], (g) => [binaryRaw('mul', g, m)], [mask]);
}
