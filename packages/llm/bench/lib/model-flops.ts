// The work of one training step of a GPT model, for model FLOP utilisation (as PaLM's appendix B
// counts it: only the work the model needs, not what an implementation adds or skips).
//
// Per token, a matrix product with a weight of P parameters costs 2P FLOPs forward and 4P backward
// (the input's gradient and the weight's), so 6P; the matrix parameters are, per layer, the query,
// key, value and output projections (4 C^2) and the feed-forward's two (8 C^2), plus the output head
// (V C, tied or not: the head's product runs either way). Embedding lookups, biases, norms and
// softmax are not products and are left out. Attention adds per layer the scores Q K^T and the
// weighted sum A V: a token's query meets T keys over C channels (all heads together), 2 T C FLOPs
// each forward, times 3 with the backward: 12 T C per layer, counted over the full context as the
// kernels compute it.
//
//   FLOPs per token = 6 (12 L C^2 + V C) + 12 L T C
export interface FlopShape {
  layers: number;
  dim: number;
  context: number;
  vocab: number;
}

export function trainingFlopsPerToken(s: FlopShape): number {
  const matrixParameters = 12 * s.layers * s.dim * s.dim + s.vocab * s.dim;
  return 6 * matrixParameters + 12 * s.layers * s.context * s.dim;
}

// The share of the machine's peak that the step's useful FLOPs reached.
export function modelFlopUtilisation(
  tokensPerSecond: number,
  flopsPerToken: number,
  peakFlops: number,
): number {
  return (tokensPerSecond * flopsPerToken) / peakFlops;
}
