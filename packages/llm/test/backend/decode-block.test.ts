// decodeBlock (one GPT-2 block of the decode step in one call) on both backends, against a float64
// block written out here from the formulas (layer norm, q/k/v, causal attention over each
// sequence's cache, the projection, GELU and the shortcuts), for several sequences in one call, f32
// and bf16 weights; on the native backend also bit-for-bit against the same block composed from its
// own kernels (gemv, copyStrided, attendCached), and its argument checks; with its layers prepared
// once (prepareDecodeBlock, as the decoder calls it) the same bits.
import { describe, expect, it } from 'vitest';
import { composeDecodeBlock, gemvProduct } from '../../src/backend/decode-block.js';
import { availableBackends, useBackend } from '../../src/backend/index.js';
import type { DecodeBlockParams, DecodeLinearParams, Weight } from '../../src/backend/kernels.js';
import { toBf16, widenBf16 } from '../../src/backend/bf16.js';
import { loadNative } from '../../src/backend/native.js';

const C = 48;
const HEADS = 4;
const HS = C / HEADS;
const HIDDEN = 4 * C;
const CAPACITY = 12;
// Rows [row, row + tokens) continue a sequence whose cache holds `start` positions already.
const SEGMENTS = [
  { start: 3, row: 0, tokens: 2 },
  { start: 0, row: 2, tokens: 1 },
  { start: 9, row: 3, tokens: 1 },
];
const ROWS = 4;

function uniform(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return ((s / 2 ** 32) * 2 - 1) * scale;
  });
}

function linear(n: number, k: number, seed: number, bf16: boolean): DecodeLinearParams {
  const w = uniform(n * k, seed, 1 / Math.sqrt(k));
  return { weight: bf16 ? toBf16(w) : w, bias: seed % 2 ? uniform(n, seed + 1, 0.1) : null };
}

function blockCase(bf16: boolean): DecodeBlockParams {
  const norm = (seed: number) => ({
    gamma: uniform(C, seed, 0.5).map((g) => 1 + g),
    beta: uniform(C, seed + 1, 0.1),
    eps: 1e-5,
  });
  return {
    x: uniform(ROWS * C, 1),
    rows: ROWS,
    embDim: C,
    heads: HEADS,
    hidden: HIDDEN,
    ln1: norm(2),
    ln2: norm(4),
    query: linear(C, C, 7, bf16),
    key: linear(C, C, 8, bf16),
    value: linear(C, C, 9, bf16),
    proj: linear(C, C, 10, bf16),
    fc1: linear(HIDDEN, C, 11, bf16),
    fc2: linear(C, HIDDEN, 12, bf16),
    ln: new Float32Array(ROWS * C),
    q: new Float32Array(ROWS * C),
    k: new Float32Array(ROWS * C),
    v: new Float32Array(ROWS * C),
    h: new Float32Array(ROWS * HIDDEN),
    mean: new Float32Array(ROWS),
    rstd: new Float32Array(ROWS),
    segments: SEGMENTS.map((s, i) => ({
      ...s,
      keys: uniform(HEADS * CAPACITY * HS, 20 + i),
      values: uniform(HEADS * CAPACITY * HS, 30 + i),
      capacity: CAPACITY,
    })),
  };
}

// A deep copy: every array of its own, so that two runs start from the same state.
function copyCase(p: DecodeBlockParams): DecodeBlockParams {
  return structuredClone(p);
}

function f64(w: Weight): Float64Array {
  if (!(w instanceof Uint16Array)) return Float64Array.from(w);
  const widened = new Float32Array(w.length);
  widenBf16(w, widened);
  return Float64Array.from(widened);
}

// The block in float64 from the formulas; returns x after it and each sequence's keys and values.
function referenceBlock(p: DecodeBlockParams): {
  x: Float64Array;
  keys: Float64Array[];
  values: Float64Array[];
} {
  const x = Float64Array.from(p.x);
  const norm = (n: DecodeBlockParams['ln1'], r: number): Float64Array => {
    const row = x.subarray(r * C, (r + 1) * C);
    const mean = row.reduce((s, v) => s + v, 0) / C;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / C;
    return row.map((v, i) => ((v - mean) / Math.sqrt(variance + n.eps)) * n.gamma[i] + n.beta[i]);
  };
  const product = (l: DecodeLinearParams, input: Float64Array, n: number): Float64Array => {
    const w = f64(l.weight);
    const k = input.length;
    return Float64Array.from({ length: n }, (_, j) => {
      let s = l.bias ? l.bias[j] : 0;
      for (let q = 0; q < k; q++) s += input[q] * w[j * k + q];
      return s;
    });
  };
  const gelu = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
  const keys = p.segments.map((s) => Float64Array.from(s.keys));
  const values = p.segments.map((s) => Float64Array.from(s.values));
  const context = new Float64Array(ROWS * C);
  const ln1 = Array.from({ length: ROWS }, (_, r) => norm(p.ln1, r));
  p.segments.forEach((seg, si) => {
    for (let t = 0; t < seg.tokens; t++) {
      const r = seg.row + t;
      const kr = product(p.key, ln1[r], C);
      const vr = product(p.value, ln1[r], C);
      for (let h = 0; h < HEADS; h++)
        for (let e = 0; e < HS; e++) {
          keys[si][(h * CAPACITY + seg.start + t) * HS + e] = kr[h * HS + e];
          values[si][(h * CAPACITY + seg.start + t) * HS + e] = vr[h * HS + e];
        }
    }
    for (let t = 0; t < seg.tokens; t++) {
      const r = seg.row + t;
      const q = product(p.query, ln1[r], C);
      for (let h = 0; h < HEADS; h++) {
        const seen = seg.start + t + 1;
        const scores = Array.from({ length: seen }, (_, pos) => {
          let s = 0;
          for (let e = 0; e < HS; e++) s += q[h * HS + e] * keys[si][(h * CAPACITY + pos) * HS + e];
          return s / Math.sqrt(HS);
        });
        const max = Math.max(...scores);
        const weights = scores.map((s) => Math.exp(s - max));
        const sum = weights.reduce((a, b) => a + b, 0);
        for (let e = 0; e < HS; e++) {
          let acc = 0;
          for (let pos = 0; pos < seen; pos++)
            acc += weights[pos] * values[si][(h * CAPACITY + pos) * HS + e];
          context[r * C + h * HS + e] = acc / sum;
        }
      }
    }
  });
  for (let r = 0; r < ROWS; r++) {
    const attn = product(p.proj, context.subarray(r * C, (r + 1) * C), C);
    for (let i = 0; i < C; i++) x[r * C + i] += attn[i];
    const hidden = product(p.fc1, norm(p.ln2, r), HIDDEN).map(gelu);
    const ff = product(p.fc2, hidden, C);
    for (let i = 0; i < C; i++) x[r * C + i] += ff[i];
  }
  return { x, keys, values };
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const tol = 2e-5 + 1e-4 * Math.abs(expected[i]);
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
      throw new Error(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

for (const name of availableBackends()) {
  describe(`decodeBlock [${name}]`, () => {
    const kernels = () => useBackend(name);

    it('equals the float64 block for several sequences at once, f32 and bf16 weights, 1 and 2 threads', () => {
      for (const bf16 of [false, true])
        for (const threads of name === 'native' ? [1, 2] : [1]) {
          loadNative()?.setThreads(threads);
          const p = blockCase(bf16);
          const ref = referenceBlock(p);
          kernels().decodeBlock(p);
          const what = `${name} bf16 ${bf16} threads ${threads}`;
          expectClose(p.x, ref.x, `${what}: x`);
          p.segments.forEach((s, i) => {
            expectClose(s.keys, ref.keys[i], `${what}: keys of sequence ${i}`);
            expectClose(s.values, ref.values[i], `${what}: values of sequence ${i}`);
          });
        }
      loadNative()?.setThreads(0);
    });

    it('gives a sequence the same bits alone as beside others', () => {
      const batch = blockCase(false);
      const alone = copyCase(batch);
      kernels().decodeBlock(batch);
      // The second sequence (row 2, one token) on its own, as row 0 of a one-row call.
      const seg = alone.segments[1];
      kernels().decodeBlock({
        ...alone,
        x: alone.x.subarray(2 * C, 3 * C),
        rows: 1,
        segments: [{ ...seg, row: 0 }],
      });
      expect(Array.from(alone.x.subarray(2 * C, 3 * C))).toEqual(Array.from(batch.x.subarray(2 * C, 3 * C)));
      expect(Array.from(seg.keys)).toEqual(Array.from(batch.segments[1].keys));
    });

    it('gives the same bits with its layers prepared once (prepareDecodeBlock), f32 and bf16', () => {
      for (const bf16 of [false, true]) {
        const read = blockCase(bf16);
        const prepared = copyCase(read);
        const { embDim, hidden, ln1, ln2, query, key, value, proj, fc1, fc2 } = prepared;
        const handle = kernels().prepareDecodeBlock({
          embDim,
          hidden,
          ln1,
          ln2,
          query,
          key,
          value,
          proj,
          fc1,
          fc2,
        });
        kernels().decodeBlock(read);
        kernels().decodeBlock({ ...prepared, prepared: handle });
        expect(Array.from(prepared.x)).toEqual(Array.from(read.x));
        prepared.segments.forEach((s, i) =>
          expect(Array.from(s.keys)).toEqual(Array.from(read.segments[i].keys)),
        );
      }
    });

    if (name === 'native') {
      it('reads the layers from a prepared block, which holds what they held when it was made', () => {
        const p = blockCase(false);
        const handle = kernels().prepareDecodeBlock(p);
        const want = copyCase(p);
        kernels().decodeBlock(want);
        // The layers in params are no longer read: a prepared call with broken ones gives the same bits.
        const broken = { ...copyCase(p), fc2: { weight: new Float32Array(1), bias: null }, prepared: handle };
        kernels().decodeBlock(broken);
        expect(Array.from(broken.x)).toEqual(Array.from(want.x));
      });

      it('checks the layers it prepares, and a prepared block against the sizes of the call', () => {
        const p = blockCase(false);
        expect(() =>
          kernels().prepareDecodeBlock({ ...p, fc2: { ...p.fc2, weight: new Float32Array(10) } }),
        ).toThrow(/prepareDecodeBlock: params.fc2.weight is too short/);
        const handle = kernels().prepareDecodeBlock(p);
        expect(() => kernels().decodeBlock({ ...p, hidden: 2 * C, prepared: handle })).toThrow(
          new RegExp(`params.prepared was made for embDim ${C} and hidden ${HIDDEN}`),
        );
      });

      it('equals, bit for bit, the block composed from the same backend kernels', () => {
        for (const bf16 of [false, true]) {
          const fused = blockCase(bf16);
          const composed = copyCase(fused);
          kernels().decodeBlock(fused);
          composeDecodeBlock(kernels(), composed, gemvProduct(kernels()));
          expect(Array.from(fused.x)).toEqual(Array.from(composed.x));
          fused.segments.forEach((s, i) =>
            expect(Array.from(s.values)).toEqual(Array.from(composed.segments[i].values)),
          );
        }
      });

      it('names what is wrong in its arguments instead of reading past a buffer', () => {
        const p = blockCase(false);
        expect(() => kernels().decodeBlock({ ...p, heads: 5 })).toThrow(
          /params.heads must divide params.embDim/,
        );
        expect(() =>
          kernels().decodeBlock({ ...p, fc2: { ...p.fc2, weight: new Float32Array(10) } }),
        ).toThrow(/params.fc2.weight is too short/);
        expect(() => kernels().decodeBlock({ ...p, segments: p.segments.slice(1) })).toThrow(
          /tokens must add up to rows \(4\)/,
        );
        expect(() =>
          kernels().decodeBlock({
            ...p,
            segments: [{ ...p.segments[0], start: CAPACITY - 1 }, ...p.segments.slice(1)],
          }),
        ).toThrow(/segments\[0\]: start \+ tokens exceeds capacity 12/);
        expect(() =>
          kernels().decodeBlock({ ...p, ln1: null as unknown as DecodeBlockParams['ln1'] }),
        ).toThrow(/params.ln1 must be an object/);
      });
    }
  });
}
