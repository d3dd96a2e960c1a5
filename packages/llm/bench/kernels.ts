// The fused kernels that follow GEMM in a GPT step, ours beside PyTorch's on the same shapes and
// threads: cross-entropy over 256 x 50,257 logits (forward; backward = softmax - onehot), softmax
// over the same, GELU (tanh) and its backward over 4M floats, layer norm over 5,461 x 768, and
// gpt2-small's causal attention (batch 2, context 256, 12 heads of 64) forward and backward, ours
// fused, PyTorch's composed as the book's MultiHeadAttention (torch 1.13 has no fused attention),
// and AdamW over the LM head's weights (PyTorch's torch.optim.AdamW step), beside the bandwidth
// the machine gives its pattern of memory traffic.
// Best of N wall times, one kernel per call. PyTorch's backward times include its autograd call.
// Usage: npm run bench:kernels [-- --threads N --reps N]
import { join } from 'node:path';
import { alignedF32 } from '../src/backend/aligned-arrays.js';
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
// The tensor library's arrays start on a 64-byte line on the native backend; so do these.
const wave = (len: number, seed: number, scale: number): Float32Array => {
  const a = alignedF32(len);
  for (let i = 0; i < len; i++) a[i] = Math.sin(i * 12.9898 + seed) * scale;
  return a;
};
const logits = wave(rows * vocab, 1, 3);
const targets = Int32Array.from({ length: rows }, (_, i) => (i * 7919) % vocab);
const lse = alignedF32(rows);
const big = alignedF32(rows * vocab);
const x = wave(n, 2, 3);
const y = alignedF32(n);
const lnRows = Math.floor(n / width);
const gamma = alignedF32(width).fill(1);
const beta = alignedF32(width);
const mean = alignedF32(lnRows);
const rstd = alignedF32(lnRows);
const att = { batch: 2, tokens: 256, heads: 12, kvHeads: 12, headDim: 64, scale: 1 / 8 };
const attSize = att.batch * att.tokens * att.heads * att.headDim;
const attention = {
  ...att,
  q: wave(attSize, 3, 1),
  k: wave(attSize, 4, 1),
  v: wave(attSize, 5, 1),
  out: alignedF32(attSize),
  lse: alignedF32(att.batch * att.heads * att.tokens),
};
const attentionGrad = {
  ...attention,
  dOut: wave(attSize, 6, 1),
  dq: alignedF32(attSize),
  dk: alignedF32(attSize),
  dv: alignedF32(attSize),
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

// AdamW over the LM head's 50,257 x 768 weights: parameters, gradient and both moments read,
// three of them written, so its limit is the memory bandwidth.
const adamwSize = vocab * width;
const adamwArrays = [0.02, 1e-3, 0, 0].map((fill) => alignedF32(adamwSize).fill(fill));
const adamwBytes = 7 * 4 * adamwSize;
const adamwOptions = { lr: 4e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, step: 1 };

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
  adamw: best(() => {
    const [param, grad, m, v] = adamwArrays;
    k.adamw(param, grad, m, v, adamwOptions);
  }),
};
// AdamW's limit: its memory pattern without the arithmetic, on the same threads, right after.
const updateBandwidth = loadNative()?.updateBandwidth(512, 5) ?? null;

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
const adamwRate = adamwBytes / (ours.adamw / 1000);
const limit =
  updateBandwidth === null
    ? ''
    : `, ${(adamwRate / updateBandwidth).toFixed(2)} of the machine's ${(updateBandwidth / 1e9).toFixed(1)} GB/s ` +
      'for that pattern of reads and writes (measured in this run)';
console.log(
  `adamw moves ${(adamwBytes / 1e9).toFixed(2)} GB a call (4 arrays read, 3 written): ${(adamwRate / 1e9).toFixed(1)} GB/s${limit}`,
);
