// The fused kernels that follow GEMM in a GPT step, ours beside PyTorch's on the same shapes and
// threads: cross-entropy over 256 x 50,257 logits (forward; backward = softmax - onehot), softmax
// over the same, GELU (tanh) and its backward over 4M floats, layer norm over 5,461 x 768, and
// gpt2-small's causal attention (batch 2, context 256, 12 heads of 64) forward and backward, ours
// fused, PyTorch's composed as the book's MultiHeadAttention (torch 1.13 has no fused attention).
// Best of N wall times, one kernel per call. PyTorch's backward times include its autograd call.
// Usage: npm run bench:kernels [-- --threads N --reps N]
import { join } from 'node:path';
import { kernels } from '../src/backend/index.js';
import { loadNative } from '../src/backend/native.js';
import { benchArgs, countArg } from './lib/args.js';
import { hasTorch, runPeer } from './lib/peer.js';

const values = benchArgs('bench:kernels', 'npm run bench:kernels -- [--threads N] [--reps N]', {
  threads: { type: 'string', default: '2' },
  reps: { type: 'string', default: '7' },
});
const threads = countArg('bench:kernels', 'threads', values.threads);
const reps = countArg('bench:kernels', 'reps', values.reps);
loadNative()?.setThreads(threads);
const k = kernels();

const rows = 256;
const vocab = 50257;
const n = 1 << 22;
const width = 768;
const wave = (len: number, seed: number, scale: number) =>
  Float32Array.from({ length: len }, (_, i) => Math.sin(i * 12.9898 + seed) * scale);
const logits = wave(rows * vocab, 1, 3);
const targets = Int32Array.from({ length: rows }, (_, i) => (i * 7919) % vocab);
const lse = new Float32Array(rows);
const big = new Float32Array(rows * vocab);
const x = wave(n, 2, 3);
const y = new Float32Array(n);
const lnRows = Math.floor(n / width);
const gamma = new Float32Array(width).fill(1);
const beta = new Float32Array(width);
const mean = new Float32Array(lnRows);
const rstd = new Float32Array(lnRows);
const att = { batch: 2, tokens: 256, heads: 12, kvHeads: 12, headDim: 64, scale: 1 / 8 };
const attSize = att.batch * att.tokens * att.heads * att.headDim;
const attention = {
  ...att,
  q: wave(attSize, 3, 1),
  k: wave(attSize, 4, 1),
  v: wave(attSize, 5, 1),
  out: new Float32Array(attSize),
  lse: new Float32Array(att.batch * att.heads * att.tokens),
};
const attentionGrad = {
  ...attention,
  dOut: wave(attSize, 6, 1),
  dq: new Float32Array(attSize),
  dk: new Float32Array(attSize),
  dv: new Float32Array(attSize),
};

function best(fn: () => void): number {
  fn();
  let min = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

const ours: Record<string, number> = {
  crossEntropy: best(() => k.crossEntropy(logits, targets, rows, vocab, -100, lse)),
  crossEntropyBackward: best(() =>
    k.crossEntropyBackward(logits, targets, lse, rows, vocab, -100, 1 / rows, big),
  ),
  softmax: best(() => k.softmax(logits, rows, vocab, big, false)),
  gelu: best(() => k.unary('gelu', x, y)),
  geluBackward: best(() => k.geluBackward(x, x, y)),
  layerNorm: best(() => k.layerNorm(x, gamma, beta, lnRows, width, 1e-5, y, mean, rstd)),
  causalAttention: best(() => k.causalAttention(attention)),
  causalAttentionBackward: best(() => k.causalAttentionBackward(attentionGrad)),
};

const peer = hasTorch()
  ? new Map(
      runPeer(join(import.meta.dirname, 'nn_torch.py'), [String(threads), String(reps)], threads).map((r) => [
        r.kernel as string,
        r.ms as number,
      ]),
    )
  : null;
console.log(`fused kernels, ${threads} thread(s), best of ${reps}, backend ${k.name}`);
console.log('kernel                   ours ms   torch ms   speed ratio (torch ms / ours ms)');
for (const [name, ms] of Object.entries(ours)) {
  const theirs = peer?.get(name);
  const ratio = theirs === undefined ? '-' : `${(theirs / ms).toFixed(2)}x`;
  console.log(
    `${name.padEnd(24)}${ms.toFixed(1).padStart(8)}${(theirs?.toFixed(1) ?? '-').padStart(11)}   ${ratio}`,
  );
}
