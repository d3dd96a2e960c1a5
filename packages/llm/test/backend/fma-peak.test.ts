// The FMA-peak probe that model FLOP utilisation is judged against, and the FLOP count it divides.
import { describe, expect, it } from 'vitest';
import { modelFlopUtilisation, trainingFlopsPerToken } from '../../bench/lib/model-flops.js';
import { loadNative } from '../../src/backend/native.js';

describe('model FLOPs per token', () => {
  it('counts 6 x the matrix parameters with the head, plus 12 L T C for attention', () => {
    // gpt2-small: 12 layers x 768, context 256, 50,257 tokens.
    const matrices = 12 * 12 * 768 * 768 + 50257 * 768;
    expect(trainingFlopsPerToken({ layers: 12, dim: 768, context: 256, vocab: 50257 })).toBe(
      6 * matrices + 12 * 12 * 256 * 768,
    );
    expect(trainingFlopsPerToken({ layers: 12, dim: 768, context: 256, vocab: 50257 })).toBe(769_503_744);
    expect(modelFlopUtilisation(100, 1e9, 200e9)).toBeCloseTo(0.5, 12);
  });
});

const native = loadNative();
describe.skipIf(!native)('fmaPeak', () => {
  it('measures a positive, finite rate and rejects threads and durations out of range', () => {
    const peak = native!.fmaPeak(1, 20);
    expect(Number.isFinite(peak)).toBe(true);
    // Even the scalar build does better than 10 MFLOPS; a broken loop would report 0 or -1.
    expect(peak).toBeGreaterThan(1e7);
    expect(() => native!.fmaPeak(0, 20)).toThrow(/fmaPeak: threads must be between 1 and 1024/);
    expect(() => native!.fmaPeak(1, 0)).toThrow(/fmaPeak: ms must be between 1 and 60000/);
  });
});
