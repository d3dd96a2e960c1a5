// The TypeScript reference backend: the living definition of every kernel.
import type { DecodeBlockLayers, DecodeBlockParams, Kernels } from '../kernels.js';
import { composeDecodeBlock, gemvProduct } from '../decode-block.js';
import { affine, binary, copyStrided, fill, unary, where } from './elementwise.js';
import type { GemvParams } from '../kernels.js';
import { attendCached, gemv } from './decode.js';
import { causalAttention, causalAttentionBackward } from './attention.js';
import { matmul, matmulBf16 } from './matmul.js';
import {
  adamw,
  crossEntropy,
  crossEntropyBackward,
  geluBackward,
  layerNorm,
  layerNormBackward,
} from './nn.js';
import { softmax, softmaxBackward, sumSquares } from './nn.js';
import { rmsNorm, rmsNormBackward, rope } from './rms-rope.js';
import { argReduce, gather, indexAdd, indexSelect, reduce, scatterAdd } from './reduce.js';

export const tsKernels = {
  name: 'ts',
  matmul,
  matmulBf16,
  gemv,
  gemvMany: (ps: readonly GemvParams[]) => ps.forEach(gemv),
  attendCached,
  decodeBlock,
  prepareDecodeBlock,
  causalAttention,
  causalAttentionBackward,
  unary,
  binary,
  where,
  affine,
  fill,
  copyStrided,
  reduce,
  argReduce,
  indexSelect,
  indexAdd,
  gather,
  scatterAdd,
  softmax,
  softmaxBackward,
  layerNorm,
  layerNormBackward,
  rmsNorm,
  rmsNormBackward,
  rope,
  geluBackward,
  crossEntropy,
  crossEntropyBackward,
  adamw,
  sumSquares,
} satisfies Kernels;

// The block composed from the kernels above, each product by gemv.
function decodeBlock(p: DecodeBlockParams): void {
  composeDecodeBlock(tsKernels, p, gemvProduct(tsKernels));
}

// Nothing to prepare: the reference reads the layers from decodeBlock's params every time.
function prepareDecodeBlock(p: DecodeBlockLayers): unknown {
  return p;
}
