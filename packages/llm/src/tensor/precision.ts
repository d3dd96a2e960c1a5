// The precision of matrix products, as torch.autocast(bfloat16) sets it on the CPU: with 'bf16'
// every matmul (forward and backward) multiplies bf16-rounded operands with float32 accumulation
// and a float32 result; every other op, the weights, the gradients and the optimizer stay float32.
// One setting per process: a training run sets it for its whole length (its evaluations included).
import { kernels } from '../backend/index.js';
import type { MatmulParams } from '../backend/kernels.js';

export const MATMUL_PRECISIONS = ['f32', 'bf16'] as const;
export type MatmulPrecision = (typeof MATMUL_PRECISIONS)[number];

let current: MatmulPrecision = 'f32';

export function matmulPrecision(): MatmulPrecision {
  return current;
}

// Runs fn with matrix products in `precision`, and restores the one before when fn settles.
export async function withMatmulPrecision<T>(precision: MatmulPrecision, fn: () => Promise<T>): Promise<T> {
  const before = current;
  current = precision;
  try {
    return await fn();
  } finally {
    current = before;
  }
}

// The matrix-product kernel of the current precision: every op that multiplies matrices (matmul,
// the fused linear layer, the head with its cross-entropy) calls it, so none stays float32 by mistake.
export function matrixProduct(params: MatmulParams): void {
  if (current === 'bf16') kernels().matmulBf16(params);
  else kernels().matmul(params);
}
