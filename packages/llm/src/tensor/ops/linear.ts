// The fully connected layer as one GEMM whose epilogue adds the bias, applies GELU and adds a
// shortcut while each output tile is still in cache: y = act(x W^T + b) + residual, with W stored
// (out, in) as torch.nn.Linear keeps it. The unfused chain (matmul, add, gelu, add) would make three
// more passes over the output, each reading and writing it from memory.
import { kernels } from '../../backend/index.js';
import { isGradEnabled, record } from '../autograd.js';
import { bf16Bits, bf16OnlyError } from '../bf16-weights.js';
import { formatShape, sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { add, gelu as geluOp } from './elementwise.js';
import { matmul } from './matmul.js';
import { sum } from './reduce.js';
import { emptyF32 } from '../storage.js';
import { matmulPrecision, matrixProduct } from '../precision.js';

export interface LinearOptions {
  // GELU (tanh approximation) on x W^T + b.
  gelu?: boolean;
  // Added after the activation; the output's shape.
  residual?: Tensor | null;
}

// Up to this many rows, a product outside autograd goes to the matrix-vector kernel, which streams
// W once in its own layout: about half the time of the GEMM for one row (a decode step of a
// 2048 x 8192 projection, measured on the native backend).
export const GEMV_MAX_ROWS = 8;

// Several layers applied to the same x (a layer's q, k and v; a gated feed-forward's gate and up):
// outside autograd, for a few rows, up to 3 plain (out, in) weights of one type go to the threads
// in one gemvMany call (one hand-off and one tail instead of one each); otherwise each is linear().
// Each output is what linear() gives it.
export function linearMany(x: Tensor, layers: readonly { weight: Tensor; bias?: Tensor | null }[]): Tensor[] {
  const k = x.shape[x.ndim - 1];
  const rows = x.size / k;
  const bits = layers.map((l) => bf16Bits(l.weight));
  const tensors = [x, ...layers.flatMap((l) => [l.weight, ...(l.bias ? [l.bias] : [])])];
  const together =
    layers.length >= 2 &&
    layers.length <= 3 &&
    x.ndim >= 1 &&
    rows >= 1 &&
    rows <= GEMV_MAX_ROWS &&
    matmulPrecision() === 'f32' &&
    !(isGradEnabled() && tensors.some((t) => t.requiresGrad)) &&
    bits.every((b) => (b === undefined) === (bits[0] === undefined)) &&
    layers.every(
      (l) => l.weight.ndim === 2 && l.weight.shape[1] === k && (!l.bias || l.bias.size === l.weight.shape[0]),
    );
  if (!together) return layers.map((l) => linear(x, l.weight, l.bias));
  const xs = x.f32('linear');
  const outs = layers.map((l) => emptyF32(rows * l.weight.shape[0]));
  kernels().gemvMany(
    layers.map((l, i) => ({
      x: xs,
      rows,
      k,
      n: l.weight.shape[0],
      weight: bits[i] ?? l.weight.f32('linear'),
      bias: l.bias ? l.bias.f32('linear') : null,
      gelu: false,
      residual: null,
      out: outs[i],
    })),
  );
  return outs.map((out, i) => new Tensor(out, [...x.shape.slice(0, -1), layers[i].weight.shape[0]]));
}

export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null, options: LinearOptions = {}): Tensor {
  const { residual = null } = options;
  const act = options.gelu ?? false;
  const [n, k] = weight.shape;
  if (weight.ndim !== 2 || x.ndim < 1 || x.shape[x.ndim - 1] !== k || (bias && bias.size !== n)) {
    // Not a plain (out, in) layer: the composed ops, which also give their own shape errors.
    const y = matmul(x, weight, { transB: true });
    const biased = bias ? add(y, bias) : y;
    const activated = act ? geluOp(biased) : biased;
    return residual ? add(activated, residual) : activated;
  }
  const rows = x.size / k;
  const outShape = [...x.shape.slice(0, -1), n];
  if (residual && !sameShape(residual.shape, outShape)) {
    throw new Error(
      `linear: residual ${formatShape(residual.shape)} must have the output's shape ${formatShape(outShape)}`,
    );
  }
  const inputs = [x, weight, ...(bias ? [bias] : []), ...(residual ? [residual] : [])];
  const recorded = isGradEnabled() && inputs.some((t) => t.requiresGrad);
  const out = emptyF32(rows * n);
  // A weight kept in bf16 only (bf16-weights.ts) serves inference: gemv streams its bits, and the
  // GEMM widens them as it packs (the product of the bf16 values in float32 either way).
  const bits = bf16Bits(weight);
  if (bits && recorded) throw bf16OnlyError('linear', weight.shape);
  const fewRows = rows >= 1 && rows <= GEMV_MAX_ROWS;
  if (bits ? fewRows : !recorded && fewRows && matmulPrecision() === 'f32') {
    kernels().gemv({
      x: x.f32('linear'),
      rows,
      k,
      n,
      weight: bits ?? weight.f32('linear'),
      bias: bias ? bias.f32('linear') : null,
      gelu: act,
      residual: residual ? residual.f32('linear') : null,
      out,
    });
    return new Tensor(out, outShape);
  }
  // GELU's backward needs its input: kept here, as the unfused ops keep it (the input of gelu).
  const preact = act && recorded ? emptyF32(rows * n) : null;
  const product = {
    a: x.f32('linear'),
    c: out,
    batch: 1,
    m: rows,
    k,
    n,
    transA: false,
    transB: true,
    strideA: 0,
    strideB: 0,
    strideC: 0,
    accumulate: false,
    bias: bias ? bias.f32('linear') : null,
    gelu: act,
    preact,
    residual: residual ? residual.f32('linear') : null,
  };
  if (bits) kernels().matmul({ ...product, b: bits });
  else matrixProduct({ ...product, b: weight.f32('linear') });
  return record(
    new Tensor(out, outShape),
    'linear',
    inputs,
    (g) => {
      const dy = g.f32();
      let dPre = dy;
      if (preact) {
        dPre = emptyF32(rows * n);
        kernels().geluBackward(preact, dy, dPre);
      }
      const gemm = (p: {
        a: Float32Array;
        b: Float32Array;
        m: number;
        k: number;
        n: number;
        transA: boolean;
      }) => {
        const c = emptyF32(p.m * p.n);
        matrixProduct({
          ...p,
          c,
          batch: 1,
          transB: false,
          strideA: 0,
          strideB: 0,
          strideC: 0,
          accumulate: false,
        });
        return c;
      };
      // dx = dPre W; dW = dPre^T x; db = the column sums of dPre; the residual's gradient is g.
      const dx = x.requiresGrad
        ? new Tensor(gemm({ a: dPre, b: weight.f32(), m: rows, k: n, n: k, transA: false }), x.shape)
        : null;
      const dW = weight.requiresGrad
        ? new Tensor(gemm({ a: dPre, b: x.f32(), m: n, k: rows, n: k, transA: true }), weight.shape)
        : null;
      const db = bias?.requiresGrad ? sum(new Tensor(dPre, [rows, n]), 0).reshapeRaw(bias.shape) : null;
      return [dx, dW, ...(bias ? [db] : []), ...(residual ? [residual.requiresGrad ? g : null] : [])];
    },
    preact ? [preact] : undefined,
  );
}
