// decodeBlock (one GPT-2 block of the decode step in one call) on both backends, against a float64
// block written out here from the formulas (layer norm, q/k/v, causal attention over each
// sequence's cache, the projection, GELU and the shortcuts), for several sequences in one call, f32
// and bf16 weights; on the native backend also bit-for-bit against the same block composed from its
// own kernels (gemv, copyStrided, attendCached), and its argument checks. decodeStep (every block
// of a step in one call, the layers read once by prepareDecodeLayers, as the decoder runs it): the
// bits of decodeBlock a block, on both backends.
import { describe, expect, it } from 'vitest';
import { composeDecodeBlock, gemvProduct } from '../../src/backend/decode-block.js';
import { availableBackends, useBackend } from '../../src/backend/index.js';
import type {
  DecodeBlockLayers,
  DecodeCacheLayer,
  DecodeBlockParams,
  DecodeLinearParams,
  DecodeStepParams,
  Weight,
} from '../../src/backend/kernels.js';
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

function blockCase(bf16: boolean, seed = 0): DecodeBlockParams {
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
    ln1: norm(seed + 2),
    ln2: norm(seed + 4),
    query: linear(C, C, seed + 7, bf16),
    key: linear(C, C, seed + 8, bf16),
    value: linear(C, C, seed + 9, bf16),
    proj: linear(C, C, seed + 10, bf16),
    fc1: linear(HIDDEN, C, seed + 11, bf16),
    fc2: linear(C, HIDDEN, seed + 12, bf16),
    ln: new Float32Array(ROWS * C),
    q: new Float32Array(ROWS * C),
    k: new Float32Array(ROWS * C),
    v: new Float32Array(ROWS * C),
    h: new Float32Array(ROWS * HIDDEN),
    mean: new Float32Array(ROWS),
    rstd: new Float32Array(ROWS),
    segments: SEGMENTS.map((s, i) => ({
      ...s,
      keys: uniform(HEADS * CAPACITY * HS, seed + 20 + i),
      values: uniform(HEADS * CAPACITY * HS, seed + 30 + i),
      capacity: CAPACITY,
    })),
  };
}

// Three blocks of a decode step (their layers from blockCase with seeds 0, 100, 200) on x, the
// scratch and the segments of blockCase(bf16), each segment with a cache a block.
function stepCase(bf16: boolean): { blocks: DecodeBlockLayers[]; step: Omit<DecodeStepParams, 'layers'> } {
  const cases = [0, 100, 200].map((seed) => blockCase(bf16, seed));
  const { x, rows, heads, ln, q, k, v, h, mean, rstd } = cases[0];
  return {
    blocks: cases.map(({ embDim, hidden, ln1, ln2, query, key, value, proj, fc1, fc2 }) => ({
      ...{ embDim, hidden, ln1, ln2, query, key, value, proj, fc1, fc2 },
    })),
    step: {
      ...{ x, rows, heads, ln, q, k, v, h, mean, rstd },
      segments: SEGMENTS.map((s, i) => ({
        ...s,
        layers: cases.map((c) => {
          const { keys, values, capacity } = c.segments[i];
          return { keys, values, capacity };
        }),
      })),
    },
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

    it('runs a whole step (decodeStep) with the bits of decodeBlock a block, f32 and bf16', () => {
      for (const bf16 of [false, true]) {
        const { blocks, step } = stepCase(bf16);
        const byBlock = structuredClone(step);
        kernels().decodeStep({ ...step, layers: kernels().prepareDecodeLayers(blocks) });
        blocks.forEach((block, l) =>
          kernels().decodeBlock({
            ...byBlock,
            ...block,
            segments: byBlock.segments.map(({ layers, start, row, tokens }) => ({
              ...layers[l],
              start,
              row,
              tokens,
            })),
          }),
        );
        expect(Array.from(step.x)).toEqual(Array.from(byBlock.x));
        step.segments.forEach((s, i) =>
          s.layers.forEach((c, l) => {
            expect(Array.from(c.keys)).toEqual(Array.from(byBlock.segments[i].layers[l].keys));
            expect(Array.from(c.values)).toEqual(Array.from(byBlock.segments[i].layers[l].values));
          }),
        );
      }
    });

    it('names what is wrong in a step and in the layers it prepares', () => {
      const { blocks, step } = stepCase(false);
      const layers = kernels().prepareDecodeLayers(blocks);
      expect(() => kernels().prepareDecodeLayers([])).toThrow(
        /prepareDecodeLayers: expects an array of blocks/,
      );
      expect(() => kernels().prepareDecodeLayers([blocks[0], { ...blocks[1], embDim: 2 * C }])).toThrow(
        new RegExp(`blocks\\[1\\].embDim differs from blocks\\[0\\]'s \\(${C}\\)`),
      );
      expect(() => kernels().decodeStep({ ...step, layers: blocks })).toThrow(
        /decodeStep: params.layers must be what prepareDecodeLayers returned/,
      );
      expect(() =>
        kernels().decodeStep({
          ...step,
          layers,
          segments: [
            { ...step.segments[0], layers: step.segments[0].layers.slice(1) },
            ...step.segments.slice(1),
          ],
        }),
      ).toThrow(/params.segments\[0\].layers must be an array of 3 caches, one a block/);
    });

    if (name === 'native') {
      it('steps through the layers as they were when prepared, and checks them then', () => {
        const { blocks, step } = stepCase(false);
        const want = structuredClone(step);
        kernels().decodeStep({ ...want, layers: kernels().prepareDecodeLayers(blocks) });
        const layers = kernels().prepareDecodeLayers(blocks);
        // The blocks are no longer read: broken after preparing, they give the same bits.
        blocks[2].fc2 = { weight: new Float32Array(1), bias: null };
        kernels().decodeStep({ ...step, layers });
        expect(Array.from(step.x)).toEqual(Array.from(want.x));
        expect(() => kernels().prepareDecodeLayers(blocks)).toThrow(
          /prepareDecodeLayers: blocks\[2\].fc2.weight is too short/,
        );
        expect(() =>
          kernels().decodeStep({ ...step, layers, h: new Float32Array(ROWS * HIDDEN - 1) }),
        ).toThrow(/params.h is too short/);
        expect(() =>
          kernels().decodeStep({
            ...step,
            layers,
            segments: [
              {
                ...step.segments[0],
                layers: [
                  step.segments[0].layers[0],
                  { ...step.segments[0].layers[1], keys: new Float32Array(3) },
                  step.segments[0].layers[2],
                ],
              },
              ...step.segments.slice(1),
            ],
          }),
        ).toThrow(/params.segments\[0\].layers\[1\].keys is too short/);
        const { capacity: _dropped, ...noCapacity } = step.segments[1].layers[2];
        expect(() =>
          kernels().decodeStep({
            ...step,
            layers,
            segments: [
              step.segments[0],
              {
                ...step.segments[1],
                layers: [...step.segments[1].layers.slice(0, 2), noCapacity as DecodeCacheLayer],
              },
              step.segments[2],
            ],
          }),
        ).toThrow(/params.segments\[1\].layers\[2\].capacity must be a number/);
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
          /params.heads must divide the blocks' embDim/,
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
          kernels().decodeBlock({
            ...p,
            segments: [{ ...p.segments[0], start: -1 }, ...p.segments.slice(1)],
          }),
        ).toThrow(/params.segments\[0\].start must be a non-negative integer/);
        expect(() =>
          kernels().decodeBlock({ ...p, ln1: null as unknown as DecodeBlockParams['ln1'] }),
        ).toThrow(/params.ln1 must be an object/);
      });
    }
  });
}
