// Clipping by global gradient norm, as torch.nn.utils.clip_grad_norm_ (the book's appendix D).
import { kernels } from '../backend/index.js';
import type { Tensor } from '../tensor/index.js';

// Scales every gradient so that their joint L2 norm is at most maxNorm; returns the norm before.
export function clipGradNorm(params: Tensor[], maxNorm: number): number {
  const k = kernels();
  const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== null);
  let sq = 0;
  for (const g of grads) sq += k.sumSquares(g.f32());
  const norm = Math.sqrt(sq);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) for (const g of grads) k.affine(g.f32(), coef, 0, g.f32());
  return norm;
}
