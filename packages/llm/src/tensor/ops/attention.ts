// Causal self-attention as one op: softmax(q k^T * scale + causal mask) v for every head, forward
// and backward each a single fused kernel call. Equal, within float rounding, to the composition
// matmul -> maskedFill -> div -> softmax -> matmul, without its (B, heads, T, T) scores and weights
// or the copies that split and merge the heads.
import { kernels } from '../../backend/index.js';
import { record } from '../autograd.js';
import { formatShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { emptyF32 } from '../storage.js';

export interface CausalAttentionOptions {
  heads: number;
  // Key/value heads (grouped-query attention): query head h reads kv head floor(h / (heads / kvHeads)).
  // Defaults to heads.
  kvHeads?: number;
  // Defaults to 1 / sqrt(head size).
  scale?: number;
}

// q (B, T, heads * hs), k and v (B, T, kvHeads * hs), as the projections write them -> (B, T, heads * hs).
export function causalAttention(q: Tensor, k: Tensor, v: Tensor, options: CausalAttentionOptions): Tensor {
  const heads = options.heads;
  const kvHeads = options.kvHeads ?? heads;
  const [batch, tokens, width] = q.shape;
  const shapes = `q ${formatShape(q.shape)}, k ${formatShape(k.shape)}, v ${formatShape(v.shape)}`;
  if (
    !Number.isInteger(heads) ||
    !Number.isInteger(kvHeads) ||
    heads < 1 ||
    kvHeads < 1 ||
    heads % kvHeads !== 0
  )
    throw new Error(`causalAttention: heads ${heads} must be a positive multiple of kvHeads ${kvHeads}`);
  if (q.ndim !== 3 || width % heads !== 0)
    throw new Error(
      `causalAttention: ${shapes}: q must be [batch, tokens, heads * head size] with ${heads} heads`,
    );
  const headDim = width / heads;
  const kvShape = `${batch},${tokens},${kvHeads * headDim}`;
  if (k.shape.join() !== kvShape || v.shape.join() !== kvShape)
    throw new Error(`causalAttention: ${shapes}: k and v must be [${kvShape}] for ${kvHeads} kv heads`);
  const params = {
    q: q.f32('causalAttention'),
    k: k.f32('causalAttention'),
    v: v.f32('causalAttention'),
    out: emptyF32(q.size),
    lse: emptyF32(batch * heads * tokens),
    batch,
    tokens,
    heads,
    kvHeads,
    headDim,
    scale: options.scale ?? 1 / Math.sqrt(headDim),
  };
  kernels().causalAttention(params);
  return record(
    new Tensor(params.out, q.shape),
    'causalAttention',
    [q, k, v],
    (g) => {
      const dq = emptyF32(q.size);
      const dk = emptyF32(k.size);
      const dv = emptyF32(v.size);
      kernels().causalAttentionBackward({ ...params, dOut: g.f32(), dq, dk, dv });
      return [new Tensor(dq, q.shape), new Tensor(dk, k.shape), new Tensor(dv, v.shape)];
    },
    [params.lse],
  );
}
