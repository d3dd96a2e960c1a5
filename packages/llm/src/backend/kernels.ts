// The kernel seam: every numeric loop of the tensor library goes through this interface.
//
// Backends see flat typed arrays, sizes and attributes, and write into buffers the caller
// allocated. They know nothing of autograd, broadcasting policy or models (the tensor layer
// turns broadcasting into strides, with stride 0 on a broadcast axis). The TypeScript backend
// in ./ts is the specification; the native addon implements the same names.

export type F32 = Float32Array;
export type I32 = Int32Array;
export type Buffer32 = Float32Array | Int32Array;
export type U16 = Uint16Array;
// A decode product's weights: float32, or bfloat16 kept as its raw bits (the upper 16 bits of the
// float32 it rounds), so a bf16 model is half the bytes to stream per token.
export type Weight = F32 | U16;

export const UNARY_OPS = [
  'neg',
  'exp',
  'log',
  'sqrt',
  'rsqrt',
  'tanh',
  'relu',
  'gelu',
  'abs',
  'sign',
  // x * sigmoid(x), the SwiGLU gate of Llama and Qwen.
  'silu',
] as const;
export type UnaryOp = (typeof UNARY_OPS)[number];

// Comparison ops write 1 or 0.
export const BINARY_OPS = [
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'maximum',
  'minimum',
  'eq',
  'gt',
  'ge',
  'lt',
] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];

export type ReduceOp = 'sum' | 'max' | 'min';
export type ArgReduceOp = 'argmax' | 'argmin';

export interface MatmulParams {
  // C[b] (m x n) = op(A[b]) (m x k) @ op(B[b]) (k x n), for b in [0, batch).
  // op(A) = A^T when transA: A[b] is then stored k x m (row-major), otherwise m x k.
  // op(B) = B^T when transB: B[b] is then stored n x k, otherwise k x n.
  // Batch b starts at b*strideA / b*strideB / b*strideC elements; a stride of 0 broadcasts.
  // With accumulate, C += result; otherwise C = result.
  a: F32;
  b: F32;
  c: F32;
  batch: number;
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
  strideA: number;
  strideB: number;
  strideC: number;
  accumulate: boolean;
  // The epilogue, applied to each output while it is hot: C = act(product [+ C] + bias) + residual,
  // with bias one value per column (n), act GELU (tanh approximation) when gelu is set, and
  // residual laid out as C (strideC per batch). preact (with gelu only) receives act's input, which
  // GELU's backward needs. preact and residual must not overlap c. Absent fields mean none.
  bias?: F32 | null;
  gelu?: boolean;
  preact?: F32 | null;
  residual?: F32 | null;
}

// matmul's arguments with B possibly in bfloat16 bits (a weight kept in bf16,
// tensor/bf16-weights.ts): the product is then the float32 product of those bf16 values, each
// widened exactly (natively while B is packed, so at the float32 GEMM's speed).
export type MatmulWeightParams = Omit<MatmulParams, 'b'> & { b: Weight };

export interface GemvParams {
  // out (rows x n) = act(x (rows x k) @ W^T + bias) + residual, with W (n x k) stored as nn.Linear
  // keeps it: each output reads one contiguous weight row, so the matrix streams once in its own
  // layout whatever rows is (the decode step has 1, a small batch a few). act is GELU (tanh
  // approximation) when gelu is set, the identity otherwise. residual may be the same array as out.
  x: F32;
  rows: number;
  k: number;
  n: number;
  weight: Weight;
  bias: F32 | null;
  gelu: boolean;
  residual: F32 | null;
  out: F32;
}

export interface AttendParams {
  // Causal attention of the newest `tokens` queries over a KV cache, all heads in one call:
  // q and out are (B, Tn, nh*hs) as the projections write them; keys and values are
  // (B, nh, maxLength, hs) with positions [0, start + Tn) filled. Query i sits at position start + i
  // and sees keys 0..start + i, with scores scaled by 1/sqrt(hs) before the softmax.
  q: F32;
  keys: F32;
  values: F32;
  out: F32;
  batch: number;
  heads: number;
  headDim: number;
  maxLength: number;
  start: number;
  tokens: number;
  // Grouped-query attention: keys and values hold kvHeads heads (heads a multiple of it), and query
  // head h reads cached head h / (heads / kvHeads). Absent: as many as heads.
  kvHeads?: number;
  // The scores' scale; absent: 1 / sqrt(headDim).
  scale?: number;
}

// A layer of decodeBlock: W (n x k) as nn.Linear keeps it, in float32 or bf16 bits, and its bias.
export interface DecodeLinearParams {
  weight: Weight;
  bias: F32 | null;
}

export interface DecodeNormParams {
  gamma: F32;
  beta: F32;
  eps: number;
}

// Rows [row, row + tokens) of a decodeBlock's x continue the sequence whose cache this is, at
// positions start, start + 1, ...: keys and values are (heads, capacity, headDim).
export interface DecodeSegment {
  keys: F32;
  values: F32;
  capacity: number;
  start: number;
  row: number;
  tokens: number;
}

export interface DecodeBlockParams {
  // One GPT-2 transformer block on a few new rows of the residual stream x (rows x embDim), in
  // place: x += proj(attention(ln1(x))); x += fc2(gelu(fc1(ln2(x)))), with q, k, v, proj and fc2
  // (embDim outputs) and fc1 (hidden outputs) as gemv computes them, each segment's new keys and
  // values appended to its cache and its queries attending over it as attendCached does. The
  // decode step's whole block in one call. ln, q, k, v (rows x embDim), h (rows x hidden), mean and
  // rstd (rows) are scratch; on return q holds the attention's context vectors and h fc1's output.
  x: F32;
  rows: number;
  embDim: number;
  heads: number;
  hidden: number;
  ln1: DecodeNormParams;
  ln2: DecodeNormParams;
  query: DecodeLinearParams;
  key: DecodeLinearParams;
  value: DecodeLinearParams;
  proj: DecodeLinearParams;
  fc1: DecodeLinearParams;
  fc2: DecodeLinearParams;
  ln: F32;
  q: F32;
  k: F32;
  v: F32;
  h: F32;
  mean: F32;
  rstd: F32;
  // Their tokens add up to rows.
  segments: readonly DecodeSegment[];
}

// The fixed part of a decodeBlock: its layers and the sizes they are checked against.
export type DecodeBlockLayers = Pick<
  DecodeBlockParams,
  'embDim' | 'hidden' | 'ln1' | 'ln2' | 'query' | 'key' | 'value' | 'proj' | 'fc1' | 'fc2'
>;

// A sequence's cache of one block, as LayerCache keeps it: keys and values (heads, capacity, headDim).
export interface DecodeCacheLayer {
  keys: F32;
  values: F32;
  capacity: number;
}

// Rows [row, row + tokens) of a decodeStep continue the sequence whose caches (one a block) these
// are, at positions start, start + 1, ...
export interface DecodeStepSegment {
  layers: readonly DecodeCacheLayer[];
  start: number;
  row: number;
  tokens: number;
}

export interface DecodeStepParams extends Pick<
  DecodeBlockParams,
  'x' | 'rows' | 'heads' | 'ln' | 'q' | 'k' | 'v' | 'h' | 'mean' | 'rstd'
> {
  // What prepareDecodeLayers returned for the model's blocks, run in their order; h holds rows x
  // the widest block's hidden.
  layers: unknown;
  // Their tokens add up to rows.
  segments: readonly DecodeStepSegment[];
}

export interface AttentionParams {
  // Causal self-attention over `tokens` positions, all heads in one call, for training and prefill.
  // q and out are (B, T, heads * headDim) as the projections write them; k and v are
  // (B, T, kvHeads * headDim), query head h reading kv head floor(h / (heads / kvHeads)) (grouped-query
  // attention; kvHeads = heads for GPT-2). Position i attends to keys 0..i with scores scaled by
  // `scale` before the softmax. lse (B, heads, T) receives each row's log-sum-exp of the scaled
  // scores, which the backward uses to recompute the weights.
  q: F32;
  k: F32;
  v: F32;
  out: F32;
  lse: F32;
  batch: number;
  tokens: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  scale: number;
}

export interface AttentionGradParams extends AttentionParams {
  // The forward's q, k, v, out and lse, and the gradient of out; writes dq (as q) and dk, dv (as k).
  dOut: F32;
  dq: F32;
  dk: F32;
  dv: F32;
}

export interface AdamWParams {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  // 1-based step count, for bias correction.
  step: number;
}

export interface Kernels {
  readonly name: string;

  matmul(p: MatmulWeightParams): void;
  // The same product with a and b rounded to bfloat16 (round to nearest even) and every product
  // accumulated in float32, as torch.autocast(bfloat16) runs a matmul: bf16 mixed-precision training.
  matmulBf16(p: MatmulParams): void;
  // The decode products: a matrix-vector product over a few rows, fused with bias, GELU and the
  // residual add; and attention over the KV cache (scores, softmax, weighted sum) in one pass.
  gemv(p: GemvParams): void;
  // Up to 3 products that share x, rows, k and the weights' type (a layer's q, k and v) in one call:
  // one hand-off to the threads and one tail instead of one per product; each output as gemv gives it.
  gemvMany(ps: readonly GemvParams[]): void;
  attendCached(p: AttendParams): void;
  decodeBlock(p: DecodeBlockParams): void;
  // A whole decode step through the blocks in one call: decodeBlock on each block of p.layers in
  // turn, segment i attending over its cache segments[i].layers[l] in block l.
  decodeStep(p: DecodeStepParams): void;
  // The blocks' layers read and checked once, for decodeStep: a decoder runs the same blocks every
  // token. What it holds is what the layers held when it was made (it keeps their arrays alive);
  // an opaque value, for this backend's decodeStep only.
  prepareDecodeLayers(blocks: readonly DecodeBlockLayers[]): unknown;
  // Fused causal attention (scores, mask, softmax, weighted sum) and its gradient, never holding more
  // than a block of query rows' scores at a time.
  causalAttention(p: AttentionParams): void;
  causalAttentionBackward(p: AttentionGradParams): void;

  // out[i] = op(x[i]); out may be x.
  unary(op: UnaryOp, x: F32, out: F32): void;
  // out (contiguous, shape) = a op b, where a and b are read through strides over `shape`
  // (stride 0 on broadcast axes).
  binary(
    op: BinaryOp,
    a: F32,
    aStrides: readonly number[],
    b: F32,
    bStrides: readonly number[],
    out: F32,
    shape: readonly number[],
  ): void;
  // out = cond != 0 ? a : b, each read through strides over `shape`.
  where(
    cond: F32,
    condStrides: readonly number[],
    a: F32,
    aStrides: readonly number[],
    b: F32,
    bStrides: readonly number[],
    out: F32,
    shape: readonly number[],
  ): void;
  // out[i] = x[i] * alpha + beta (used for scaling, shifting and constants in gradients).
  affine(x: F32, alpha: number, beta: number, out: F32): void;
  fill(out: Buffer32, value: number): void;
  // dst (through dstStrides from dstOffset) = src (through srcStrides from srcOffset), over `shape`.
  // Covers transpose, permute, narrow, expand, concat and stack.
  copyStrided(
    src: Buffer32,
    srcOffset: number,
    srcStrides: readonly number[],
    dst: Buffer32,
    dstOffset: number,
    dstStrides: readonly number[],
    shape: readonly number[],
  ): void;

  // x viewed as (outer, size, inner); out (outer, inner) = reduction over the middle axis.
  reduce(op: ReduceOp, x: F32, outer: number, size: number, inner: number, out: F32): void;
  argReduce(op: ArgReduceOp, x: F32, outer: number, size: number, inner: number, out: I32): void;

  // x viewed as (outer, size, inner); out (outer, idx.length, inner) = x[:, idx, :].
  // Indices are validated by the caller.
  indexSelect(x: F32, outer: number, size: number, inner: number, idx: I32, out: F32): void;
  // The backward of indexSelect: dx (outer, size, inner) += dy (outer, idx.length, inner) scattered at idx.
  indexAdd(dy: F32, outer: number, size: number, inner: number, idx: I32, dx: F32): void;
  // torch.gather along the middle axis: idx and out are (outer, idxSize, inner), x is (outer, size, inner).
  gather(x: F32, outer: number, size: number, inner: number, idx: I32, idxSize: number, out: F32): void;
  // The backward of gather: dx += dy scattered at idx.
  scatterAdd(dy: F32, outer: number, size: number, inner: number, idx: I32, idxSize: number, dx: F32): void;

  // Row-wise softmax (or log-softmax) of x (rows, cols).
  softmax(x: F32, rows: number, cols: number, out: F32, log: boolean): void;
  // dx from the forward's output y and dy. softmax: dx = y * (dy - sum(dy*y)); log: dx = dy - exp(y)*sum(dy).
  softmaxBackward(y: F32, dy: F32, rows: number, cols: number, dx: F32, log: boolean): void;

  // out = (x - mean) / sqrt(var + eps) * gamma + beta over rows of length cols (biased variance,
  // as the book's LayerNorm). mean and rstd (rows) are saved for the backward.
  layerNorm(
    x: F32,
    gamma: F32,
    beta: F32,
    rows: number,
    cols: number,
    eps: number,
    out: F32,
    mean: F32,
    rstd: F32,
  ): void;
  // Writes dx, and accumulates into dgamma and dbeta (callers pass zeroed buffers for a fresh gradient).
  layerNormBackward(
    x: F32,
    gamma: F32,
    mean: F32,
    rstd: F32,
    dy: F32,
    rows: number,
    cols: number,
    dx: F32,
    dgamma: F32,
    dbeta: F32,
  ): void;

  // out = x / sqrt(mean(x^2) + eps) * w over rows of length cols (Llama's RMSNorm), with w = scale,
  // or 1 + scale when unitOffset (Gemma's). rstd (rows) is saved for the backward.
  rmsNorm(
    x: F32,
    scale: F32,
    rows: number,
    cols: number,
    eps: number,
    unitOffset: boolean,
    out: F32,
    rstd: F32,
  ): void;
  // Writes dx, and accumulates into dscale (callers pass a zeroed buffer for a fresh gradient).
  rmsNormBackward(
    x: F32,
    scale: F32,
    rstd: F32,
    dy: F32,
    rows: number,
    cols: number,
    unitOffset: boolean,
    dx: F32,
    dscale: F32,
  ): void;
  // Rotary position embedding, rotate-half convention: out = x * cos + [-x2, x1] * sin for each of
  // `rows` rows of hs values (x1, x2 its halves), row r at angle row angleRow[r] of cos and sin
  // (hs values each). transpose: the transposed map (the backward), dx1 = g1 cos1 + g2 sin2,
  // dx2 = g2 cos2 - g1 sin1. out must not overlap x.
  rope(
    x: F32,
    cos: F32,
    sin: F32,
    angleRow: I32,
    rows: number,
    hs: number,
    out: F32,
    transpose: boolean,
  ): void;

  // GELU, tanh approximation (as the book and GPT-2): dx = dy * gelu'(x).
  geluBackward(x: F32, dy: F32, dx: F32): void;

  // Cross-entropy over logits (rows, vocab) with integer targets. Rows whose target equals
  // ignoreIndex are skipped. Writes each row's log-sum-exp to lse (for the backward) and returns
  // the summed loss and the number of rows counted. Targets out of range are validated by the caller.
  crossEntropy(logits: F32, targets: I32, rows: number, vocab: number, ignoreIndex: number, lse: F32): number;
  // dlogits = scale * (softmax(logits) - onehot(target)), zero on ignored rows.
  crossEntropyBackward(
    logits: F32,
    targets: I32,
    lse: F32,
    rows: number,
    vocab: number,
    ignoreIndex: number,
    scale: number,
    dlogits: F32,
  ): void;

  // One AdamW step with PyTorch's semantics, in place on param, m and v.
  adamw(param: F32, grad: F32, m: F32, v: F32, p: AdamWParams): void;
  // Sum of squares, accumulated in float64 (for gradient-norm clipping).
  sumSquares(x: F32): number;
}

export type KernelName = Exclude<keyof Kernels, 'name'>;
