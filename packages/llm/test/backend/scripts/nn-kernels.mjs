// Runs the elementwise, nn, decode and attention kernels of the native addon on fixed awkward-sized inputs and prints
// every output as JSON. The test runs it twice, with LLM_SCRATCH_ISA=scalar (the portable build)
// and without (the AVX2 or AVX-512 build where the CPU has it), and compares the two.
import { createRequire } from 'node:module';

const k = createRequire(import.meta.url)(process.argv[2]);
function data(n, seed, scale = 3) {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sin(i * 12.9898 + seed * 78.233) * scale;
  return out;
}
const rows = 7,
  cols = 769,
  n = rows * cols;
const x = data(n, 1),
  dy = data(n, 2),
  gamma = data(cols, 3, 1),
  beta = data(cols, 4, 1);
const out = {};
const f = (len) => new Float32Array(len);
for (const op of ['neg', 'exp', 'gelu', 'relu', 'tanh', 'sqrt', 'abs']) {
  out[op] = f(n);
  k.unary(op, op === 'sqrt' ? x.map(Math.abs) : x, out[op]);
}
for (const log of [false, true]) {
  const y = f(n),
    dx = f(n);
  k.softmax(x, rows, cols, y, log);
  k.softmaxBackward(y, dy, rows, cols, dx, log);
  out[`softmax${log}`] = y;
  out[`softmaxBackward${log}`] = dx;
}
{
  const y = f(n),
    mean = f(rows),
    rstd = f(rows),
    dx = f(n),
    dg = f(cols),
    db = f(cols);
  k.layerNorm(x, gamma, beta, rows, cols, 1e-5, y, mean, rstd);
  k.layerNormBackward(x, gamma, mean, rstd, dy, rows, cols, dx, dg, db);
  Object.assign(out, { layerNorm: y, layerNormDx: dx, layerNormDgamma: dg, layerNormDbeta: db });
}
out.geluBackward = f(n);
k.geluBackward(x, dy, out.geluBackward);
{
  const targets = Int32Array.from({ length: rows }, (_, i) => (i * 101) % cols);
  targets[2] = -100;
  const lse = f(rows),
    d = f(n);
  out.crossEntropy = [k.crossEntropy(x, targets, rows, cols, -100, lse)];
  k.crossEntropyBackward(x, targets, lse, rows, cols, -100, 1 / 6, d);
  Object.assign(out, { lse, crossEntropyBackward: d });
}
out.add = f(n);
k.binary('add', x, [cols, 1], gamma, [0, 1], out.add, [rows, cols]);
{
  const p = x.slice(),
    m = f(n),
    v = f(n);
  k.adamw(p, dy, m, v, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, step: 3 });
  out.adamw = p;
}
out.sumSquares = [k.sumSquares(x)];
// The decode kernels: gemv (f32 and bf16 weights, every fused epilogue) and attendCached.
for (const bf16 of [false, true]) {
  const n = 37,
    w = data(n * cols, 5, 0.05);
  const weight = bf16 ? Uint16Array.from(new Uint32Array(w.buffer), (b) => b >>> 16) : w;
  const y = f(rows * n);
  k.gemv({
    x,
    rows,
    k: cols,
    n,
    weight,
    bias: gamma.subarray(0, n),
    gelu: true,
    residual: dy.subarray(0, rows * n),
    out: y,
  });
  out[`gemv${bf16 ? 'Bf16' : ''}`] = y;
}
{
  const heads = 3,
    hs = 33,
    maxLength = 20,
    tokens = 7,
    q = data(tokens * heads * hs, 6, 1),
    y = f(tokens * heads * hs);
  const kv = data(heads * maxLength * hs, 7, 1);
  k.attendCached({
    q,
    keys: kv,
    values: x,
    out: y,
    batch: 1,
    heads,
    headDim: hs,
    maxLength,
    start: 11,
    tokens,
  });
  out.attendCached = y;
}
// Fused causal attention, forward and backward: 2 query heads per kv head, 70 tokens (past one
// 64-row block), a head size of 19 (a tail past the vector width).
{
  const batch = 2,
    tokens = 70,
    heads = 4,
    kvHeads = 2,
    headDim = 19,
    nq = batch * tokens * heads * headDim,
    nk = batch * tokens * kvHeads * headDim;
  const p = {
    q: data(nq, 8, 1),
    k: data(nk, 9, 1),
    v: data(nk, 10, 1),
    out: f(nq),
    lse: f(batch * heads * tokens),
    batch,
    tokens,
    heads,
    kvHeads,
    headDim,
    scale: 1 / Math.sqrt(headDim),
  };
  k.causalAttention(p);
  const g = { dOut: data(nq, 11, 1), dq: f(nq), dk: f(nk), dv: f(nk) };
  k.causalAttentionBackward({ ...p, ...g });
  Object.assign(out, {
    causalAttention: p.out,
    causalAttentionLse: p.lse,
    causalAttentionDq: g.dq,
    causalAttentionDk: g.dk,
    causalAttentionDv: g.dv,
  });
}
console.log(
  JSON.stringify({
    isa: k.info().isa,
    out: Object.fromEntries(Object.entries(out).map(([key, a]) => [key, Array.from(a)])),
  }),
);
