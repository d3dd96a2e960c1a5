// The TypeScript reference backend: the living definition of every kernel.
import type { Kernels } from '../kernels.js';
import { affine, binary, copyStrided, fill, unary, where } from './elementwise.js';
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
import { argReduce, gather, indexAdd, indexSelect, reduce, scatterAdd } from './reduce.js';

export const tsKernels = {
  name: 'ts',
  matmul,
  matmulBf16,
  gemv,
  attendCached,
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
  geluBackward,
  crossEntropy,
  crossEntropyBackward,
  adamw,
  sumSquares,
} satisfies Kernels;
