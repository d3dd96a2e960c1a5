// The TypeScript reference backend: the living definition of every kernel.
import type { DecodeBlockParams, DecodeStepParams, Kernels } from '../kernels.js';
import { composeDecodeBlock, composeDecodeStep, gemvProduct, PreparedLayers } from '../decode-block.js';
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
  decodeStep: (p: DecodeStepParams) => composeDecodeStep(tsKernels, p),
  prepareDecodeLayers: PreparedLayers.of,
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
