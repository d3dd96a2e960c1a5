// Fused causal self-attention of the reference backend, forward and backward: the definition the
// native kernels (native/attention.cc) are checked against. Each query row's scores, softmax and
// weighted sum are computed in float64 from the rows as the projections laid them out; the backward
// recomputes the attention weights from the saved log-sum-exp instead of keeping them.
import type { AttentionGradParams, AttentionParams } from '../kernels.js';

// Row t of head `head` in a (B, T, heads * D) buffer starts here.
function rowStart(p: AttentionParams, b: number, t: number, heads: number, head: number): number {
  return ((b * p.tokens + t) * heads + head) * p.headDim;
}

// The attention weights of query row i of head h over keys 0..i, in float64, and their
// log-sum-exp; with `lse` given, the weights are exp(score - lse) as the backward recomputes them.
function weights(
  p: AttentionParams,
  b: number,
  h: number,
  i: number,
  lse?: number,
): { w: Float64Array; lse: number } {
  const { q, k, headDim: D, heads, kvHeads, scale } = p;
  const g = Math.floor(h / (heads / kvHeads));
  const qi = rowStart(p, b, i, heads, h);
  const w = new Float64Array(i + 1);
  let max = -Infinity;
  for (let j = 0; j <= i; j++) {
    const kj = rowStart(p, b, j, kvHeads, g);
    let s = 0;
    for (let e = 0; e < D; e++) s += q[qi + e] * k[kj + e];
    w[j] = s * scale;
    if (w[j] > max) max = w[j];
  }
  if (lse !== undefined) {
    for (let j = 0; j <= i; j++) w[j] = Math.exp(w[j] - lse);
    return { w, lse };
  }
  let sum = 0;
  for (let j = 0; j <= i; j++) {
    w[j] = Math.exp(w[j] - max);
    sum += w[j];
  }
  for (let j = 0; j <= i; j++) w[j] /= sum;
  return { w, lse: max + Math.log(sum) };
}

export function causalAttention(p: AttentionParams): void {
  const { v, out, batch, tokens, heads, kvHeads, headDim: D } = p;
  const group = heads / kvHeads;
  const acc = new Float64Array(D);
  for (let b = 0; b < batch; b++)
    for (let h = 0; h < heads; h++) {
      const g = Math.floor(h / group);
      for (let i = 0; i < tokens; i++) {
        const { w, lse } = weights(p, b, h, i);
        acc.fill(0);
        for (let j = 0; j <= i; j++) {
          const vj = rowStart(p, b, j, kvHeads, g);
          for (let e = 0; e < D; e++) acc[e] += w[j] * v[vj + e];
        }
        out.set(acc, rowStart(p, b, i, heads, h));
        p.lse[(b * heads + h) * tokens + i] = lse;
      }
    }
}

export function causalAttentionBackward(p: AttentionGradParams): void {
  const { q, k, v, out, dOut, batch, tokens, heads, kvHeads, headDim: D, scale } = p;
  const group = heads / kvHeads;
  const dq = new Float64Array(p.dq.length);
  const dk = new Float64Array(p.dk.length);
  const dv = new Float64Array(p.dv.length);
  for (let b = 0; b < batch; b++)
    for (let h = 0; h < heads; h++) {
      const g = Math.floor(h / group);
      for (let i = 0; i < tokens; i++) {
        const { w } = weights(p, b, h, i, p.lse[(b * heads + h) * tokens + i]);
        const qi = rowStart(p, b, i, heads, h);
        let delta = 0;
        for (let e = 0; e < D; e++) delta += dOut[qi + e] * out[qi + e];
        for (let j = 0; j <= i; j++) {
          const kj = rowStart(p, b, j, kvHeads, g);
          let dp = 0;
          for (let e = 0; e < D; e++) dp += dOut[qi + e] * v[kj + e];
          const ds = w[j] * (dp - delta) * scale;
          for (let e = 0; e < D; e++) {
            dq[qi + e] += ds * k[kj + e];
            dk[kj + e] += ds * q[qi + e];
            dv[kj + e] += w[j] * dOut[qi + e];
          }
        }
      }
    }
  p.dq.set(dq);
  p.dk.set(dk);
  p.dv.set(dv);
}
