// Chapter 6's classification head has a bias (torch.nn.Linear(emb_dim, num_classes), section 6.5);
// Hugging Face's GPT2ForSequenceClassification has none (`self.score = nn.Linear(config.n_embd,
// self.num_labels, bias=False)`, modeling_gpt2.py) and from_pretrained would drop a `score.bias`
// with a warning, shifting every logit. The head reads the final norm's output and nothing else
// does, so the bias moves into the final norm's shift exactly:
//   W (g * n + beta) + b = W (g * n + beta + delta)   whenever  W delta = b,
// and with fewer classes than channels (K < C) the least-norm delta = W^T (W W^T)^-1 b exists when
// the head's rows are linearly independent, as a trained head's are.
import type { Tensor } from '../tensor/index.js';

// A fold whose float32 rounding moves a logit by more than this (relative to the bias's size) is
// refused: it would mean nearly parallel rows and a huge delta, i.e. lost precision.
const MAX_RELATIVE_ERROR = 1e-5;

// The final norm's shift with the bias folded in, or null when the rows of the head are (nearly)
// dependent and no exact fold exists. weight (K, C), bias (K), shift (C).
export function foldScoreBias(weight: Tensor, bias: Tensor, shift: Tensor): Float32Array | null {
  const [K, C] = weight.shape;
  const w = weight.f32('score.weight');
  const b = bias.f32('score.bias');
  const beta = shift.f32('final_norm.shift');
  // The Gram matrix W W^T (K, K) and b, augmented, solved in float64 with partial pivoting.
  const a = Array.from({ length: K }, (_, i) => {
    const row = new Float64Array(K + 1);
    for (let j = 0; j < K; j++) {
      let s = 0;
      for (let c = 0; c < C; c++) s += w[i * C + c] * w[j * C + c];
      row[j] = s;
    }
    row[K] = b[i];
    return row;
  });
  const scale = Math.max(...a.map((row, i) => row[i]));
  if (!(scale > 0)) return null;
  for (let col = 0; col < K; col++) {
    let pivot = col;
    for (let r = col + 1; r < K; r++) if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) pivot = r;
    if (Math.abs(a[pivot][col]) < scale * 1e-12) return null;
    [a[col], a[pivot]] = [a[pivot], a[col]];
    for (let r = 0; r < K; r++) {
      if (r === col) continue;
      const f = a[r][col] / a[col][col];
      for (let j = col; j <= K; j++) a[r][j] -= f * a[col][j];
    }
  }
  const y = a.map((row, i) => row[K] / row[i]);
  const folded = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    let d = 0;
    for (let i = 0; i < K; i++) d += w[i * C + c] * y[i];
    folded[c] = beta[c] + d;
  }
  // What the rounding to float32 left of the bias, logit by logit.
  let worst = 0;
  let size = 1;
  for (let i = 0; i < K; i++) {
    let moved = 0;
    for (let c = 0; c < C; c++) moved += w[i * C + c] * (folded[c] - beta[c]);
    worst = Math.max(worst, Math.abs(moved - b[i]));
    size = Math.max(size, Math.abs(b[i]));
  }
  return worst <= MAX_RELATIVE_ERROR * size ? folded : null;
}
