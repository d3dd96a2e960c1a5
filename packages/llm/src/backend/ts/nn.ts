// Fused neural-network kernels of the reference backend: softmax, layer norm, GELU backward,
// cross-entropy, AdamW and the sum of squares for gradient clipping.
import type { AdamWParams, F32, I32 } from '../kernels.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

export function softmax(x: F32, rows: number, cols: number, out: F32, log: boolean): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) if (x[base + j] > max) max = x[base + j];
    // A row of -Infinity (fully masked) gives NaN, as in PyTorch.
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += Math.exp(x[base + j] - max);
    if (log) {
      const logSum = Math.log(sum) + max;
      for (let j = 0; j < cols; j++) out[base + j] = x[base + j] - logSum;
    } else {
      const inv = 1 / sum;
      for (let j = 0; j < cols; j++) out[base + j] = Math.exp(x[base + j] - max) * inv;
    }
  }
}

export function softmaxBackward(y: F32, dy: F32, rows: number, cols: number, dx: F32, log: boolean): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    if (log) {
      let sum = 0;
      for (let j = 0; j < cols; j++) sum += dy[base + j];
      for (let j = 0; j < cols; j++) dx[base + j] = dy[base + j] - Math.exp(y[base + j]) * sum;
    } else {
      let dot = 0;
      for (let j = 0; j < cols; j++) dot += dy[base + j] * y[base + j];
      for (let j = 0; j < cols; j++) dx[base + j] = y[base + j] * (dy[base + j] - dot);
    }
  }
}

export function layerNorm(
  x: F32,
  gamma: F32,
  beta: F32,
  rows: number,
  cols: number,
  eps: number,
  out: F32,
  mean: F32,
  rstd: F32,
): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += x[base + j];
    const mu = sum / cols;
    let sq = 0;
    for (let j = 0; j < cols; j++) {
      const d = x[base + j] - mu;
      sq += d * d;
    }
    const rs = 1 / Math.sqrt(sq / cols + eps);
    mean[r] = mu;
    rstd[r] = rs;
    for (let j = 0; j < cols; j++) out[base + j] = (x[base + j] - mu) * rs * gamma[j] + beta[j];
  }
}

export function layerNormBackward(
  x: F32,
  gamma: F32,
  mean: F32,
  rstd: F32,
  dy: F32,
  rows: number,
  cols: number,
  dx: F32,
  dgamma: F32,
  dbeta: F32,
): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const mu = mean[r];
    const rs = rstd[r];
    // dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), with g = dy * gamma.
    let sumG = 0;
    let sumGX = 0;
    for (let j = 0; j < cols; j++) {
      const xhat = (x[base + j] - mu) * rs;
      const g = dy[base + j] * gamma[j];
      sumG += g;
      sumGX += g * xhat;
      dgamma[j] += dy[base + j] * xhat;
      dbeta[j] += dy[base + j];
    }
    const meanG = sumG / cols;
    const meanGX = sumGX / cols;
    for (let j = 0; j < cols; j++) {
      const xhat = (x[base + j] - mu) * rs;
      dx[base + j] = rs * (dy[base + j] * gamma[j] - meanG - xhat * meanGX);
    }
  }
}

export function geluBackward(x: F32, dy: F32, dx: F32): void {
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    const inner = SQRT_2_OVER_PI * (v + 0.044715 * v * v * v);
    const t = Math.tanh(inner);
    const dInner = SQRT_2_OVER_PI * (1 + 3 * 0.044715 * v * v);
    dx[i] = dy[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * dInner);
  }
}

export function crossEntropy(
  logits: F32,
  targets: I32,
  rows: number,
  vocab: number,
  ignoreIndex: number,
  lse: F32,
): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const t = targets[r];
    if (t === ignoreIndex) {
      lse[r] = 0;
      continue;
    }
    const base = r * vocab;
    let max = -Infinity;
    for (let j = 0; j < vocab; j++) if (logits[base + j] > max) max = logits[base + j];
    let sum = 0;
    for (let j = 0; j < vocab; j++) sum += Math.exp(logits[base + j] - max);
    const l = Math.log(sum) + max;
    lse[r] = l;
    total += l - logits[base + t];
  }
  return total;
}

export function crossEntropyBackward(
  logits: F32,
  targets: I32,
  lse: F32,
  rows: number,
  vocab: number,
  ignoreIndex: number,
  scale: number,
  dlogits: F32,
): void {
  for (let r = 0; r < rows; r++) {
    const base = r * vocab;
    const t = targets[r];
    if (t === ignoreIndex) {
      dlogits.fill(0, base, base + vocab);
      continue;
    }
    const l = lse[r];
    for (let j = 0; j < vocab; j++) dlogits[base + j] = Math.exp(logits[base + j] - l) * scale;
    dlogits[base + t] -= scale;
  }
}

export function adamw(param: F32, grad: F32, m: F32, v: F32, p: AdamWParams): void {
  const { lr, beta1, beta2, eps, weightDecay, step } = p;
  const bc1 = 1 - Math.pow(beta1, step);
  const bc2 = 1 - Math.pow(beta2, step);
  const stepSize = lr / bc1;
  const bc2Sqrt = Math.sqrt(bc2);
  const decay = 1 - lr * weightDecay;
  const n = param.length;
  for (let i = 0; i < n; i++) {
    const g = grad[i];
    // Decoupled weight decay first, then the Adam update with eps outside the square root (PyTorch).
    const w = param[i] * decay;
    const mi = beta1 * m[i] + (1 - beta1) * g;
    const vi = beta2 * v[i] + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] = w - (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps);
  }
}

export function sumSquares(x: F32): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}
