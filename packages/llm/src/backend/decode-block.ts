// One GPT-2 block of the decode path composed from the kernels (DecodeBlockParams says what it
// computes): the reference backend's decodeBlock, with gemv for every product, and the decoder's
// prefill, with the GEMM for the products of a long prompt; and the reference's decodeStep, a
// decodeBlock a block.
import type {
  DecodeBlockLayers,
  DecodeBlockParams,
  DecodeLinearParams,
  DecodeStepParams,
  F32,
  Kernels,
} from './kernels.js';

// out (rows x n) = act(x (rows x k) W^T + bias) + residual; residual may be out itself.
export type BlockProduct = (
  l: DecodeLinearParams,
  x: F32,
  rows: number,
  k: number,
  n: number,
  out: F32,
  residual: F32 | null,
  gelu: boolean,
) => void;

export function gemvProduct(kernels: Kernels): BlockProduct {
  return (l, x, rows, k, n, out, residual, gelu) =>
    kernels.gemv({ x, rows, k, n, weight: l.weight, bias: l.bias, gelu, residual, out });
}

export function composeDecodeBlock(kernels: Kernels, p: DecodeBlockParams, product: BlockProduct): void {
  const { rows, embDim: C, heads: nh, hidden } = p;
  const hs = C / nh;
  const x = p.x.subarray(0, rows * C);
  const ln = p.ln.subarray(0, rows * C);
  const q = p.q.subarray(0, rows * C);
  const kk = p.k.subarray(0, rows * C);
  const v = p.v.subarray(0, rows * C);
  const h = p.h.subarray(0, rows * hidden);
  kernels.layerNorm(x, p.ln1.gamma, p.ln1.beta, rows, C, p.ln1.eps, ln, p.mean, p.rstd);
  product(p.query, ln, rows, C, C, q, null, false);
  product(p.key, ln, rows, C, C, kk, null, false);
  product(p.value, ln, rows, C, C, v, null, false);
  for (const { keys, values, capacity, start, row, tokens } of p.segments) {
    // (tokens, nh, hs) rows into the cache's (nh, capacity, hs) at position start.
    const srcStrides = [hs, C, 1];
    const dstStrides = [capacity * hs, hs, 1];
    kernels.copyStrided(kk, row * C, srcStrides, keys, start * hs, dstStrides, [nh, tokens, hs]);
    kernels.copyStrided(v, row * C, srcStrides, values, start * hs, dstStrides, [nh, tokens, hs]);
    // The context vectors replace the queries in place: (tokens, nh * hs), ready for the projection.
    const qs = q.subarray(row * C, (row + tokens) * C);
    kernels.attendCached({
      q: qs,
      keys,
      values,
      out: qs,
      batch: 1,
      heads: nh,
      headDim: hs,
      maxLength: capacity,
      start,
      tokens,
    });
  }
  product(p.proj, q, rows, C, C, x, x, false); // x += proj(context)
  kernels.layerNorm(x, p.ln2.gamma, p.ln2.beta, rows, C, p.ln2.eps, ln, p.mean, p.rstd);
  product(p.fc1, ln, rows, C, hidden, h, null, true);
  product(p.fc2, h, rows, hidden, C, x, x, false); // x += fc2(gelu(fc1(ln)))
}

// The reference backend's prepareDecodeLayers: nothing read ahead, the blocks kept as given.
export class PreparedLayers {
  private constructor(readonly blocks: readonly DecodeBlockLayers[]) {}

  static of(this: void, blocks: readonly DecodeBlockLayers[]): unknown {
    if (!Array.isArray(blocks) || blocks.length === 0)
      throw new TypeError('prepareDecodeLayers: expects an array of blocks, one at least');
    const embDim = blocks[0].embDim;
    blocks.forEach((b, i) => {
      if (b.embDim !== embDim)
        throw new RangeError(`prepareDecodeLayers: blocks[${i}].embDim differs from blocks[0]'s (${embDim})`);
    });
    return new PreparedLayers([...blocks]);
  }
}

export function composeDecodeStep(kernels: Kernels, p: DecodeStepParams): void {
  if (!(p.layers instanceof PreparedLayers))
    throw new TypeError('decodeStep: params.layers must be what prepareDecodeLayers returned');
  const { blocks } = p.layers;
  p.segments.forEach((s, i) => {
    if (s.layers.length !== blocks.length)
      throw new TypeError(
        `decodeStep: params.segments[${i}].layers must be an array of ${blocks.length} caches, one a block`,
      );
  });
  blocks.forEach((block, l) =>
    kernels.decodeBlock({
      ...p,
      ...block,
      segments: p.segments.map(({ layers, start, row, tokens }) => ({ ...layers[l], start, row, tokens })),
    }),
  );
}
