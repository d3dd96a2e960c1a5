// The tensor library: import everything from here (it also attaches the Tensor methods).
import './methods.js';

export { Tensor, type DType, type NestedArray, type TensorLike } from './tensor.js';
export { noGrad, isGradEnabled, type BackwardOptions } from './autograd.js';
export { allocationStats, release, type AllocationStats } from './storage.js';
export * from './creation.js';
export { Rng, globalRng, manualSeed, type RngState } from './random.js';
export { broadcastShapes, formatShape, sizeOf, type Shape } from './shape.js';
export * from './ops/elementwise.js';
export { sum, mean, max, min, argmax, argmin, variance, sumTo, type ReduceOptions } from './ops/reduce.js';
export {
  reshape,
  flatten,
  squeeze,
  unsqueeze,
  transpose,
  permute,
  narrow,
  slice,
  broadcastTo,
  repeatInterleave,
  concat,
  stack,
  split,
  chunk,
} from './ops/shape.js';
export { matmul, type MatmulOptions } from './ops/matmul.js';
export {
  MATMUL_PRECISIONS,
  matmulPrecision,
  withMatmulPrecision,
  type MatmulPrecision,
} from './precision.js';
export { indexSelect, embedding, gather, where, maskedFill, tril, triu } from './ops/index-ops.js';
export * from './ops/nn.js';
export { causalAttention, type CausalAttentionOptions } from './ops/attention.js';
export { linear, linearMany, type LinearOptions } from './ops/linear.js';
export { topk, multinomial, cumsum } from './ops/sampling.js';
export { linearCrossEntropy } from './ops/linear-cross-entropy.js';
