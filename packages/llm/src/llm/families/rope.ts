// Rotary position embeddings as Hugging Face computes them (transformers'
// modeling_rope_utils.py): inverse frequencies base^(-2i/hs), optionally rescaled (`linear`, or
// Llama 3's `llama3` smoothing between long and short wavelengths), and angles position x frequency
// in float32, repeated in both halves of a head for the rotate-half convention
// (T.rotaryEmbedding). The book's counterpart is compute_rope_params in
// ch05/07_gpt_to_llama/standalone-llama32.ipynb.
import { UserError } from 'llm-scratch-core/errors';
import * as T from '../../tensor/index.js';
import type { Tensor } from '../../tensor/index.js';
import { isJsonObject as isObject } from '../../io/json.js';

export type RopeScaling =
  | { type: 'default' }
  // Positions divided by factor (Gemma 3's global layers).
  | { type: 'linear'; factor: number }
  // Llama 3.1+: wavelengths longer than originalContext / lowFreqFactor slowed by factor, those
  // shorter than originalContext / highFreqFactor kept, and a smooth blend in between.
  | {
      type: 'llama3';
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      originalContext: number;
    };

// config.json's rope_scaling (or transformers 5's rope_parameters); null and absent mean default.
export function parseRopeScaling(raw: unknown, file: string): RopeScaling {
  if (raw === undefined || raw === null) return { type: 'default' };
  if (!isObject(raw)) throw new UserError(`${file}: 'rope_scaling' must be an object or null`);
  const type = raw.rope_type ?? raw.type ?? 'default';
  const positive = (key: string): number => {
    const v = raw[key];
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v))
      throw new UserError(
        `${file}: rope_scaling '${key}' must be a positive number, got ${JSON.stringify(v)}`,
      );
    return v;
  };
  if (type === 'default') return { type };
  if (type === 'linear') return { type, factor: positive('factor') };
  if (type === 'llama3') {
    const scaling = {
      type,
      factor: positive('factor'),
      lowFreqFactor: positive('low_freq_factor'),
      highFreqFactor: positive('high_freq_factor'),
      originalContext: positive('original_max_position_embeddings'),
    } as const;
    if (!(scaling.highFreqFactor > scaling.lowFreqFactor))
      throw new UserError(`${file}: rope_scaling 'high_freq_factor' must be above 'low_freq_factor'`);
    return scaling;
  }
  throw new UserError(
    `${file}: rope_scaling type ${JSON.stringify(type)} is not supported (supported: default, linear, llama3)`,
  );
}

export function ropeScalingToHF(scaling: RopeScaling): Record<string, unknown> | null {
  switch (scaling.type) {
    case 'default':
      return null;
    case 'linear':
      return { rope_type: 'linear', factor: scaling.factor };
    case 'llama3':
      return {
        rope_type: 'llama3',
        factor: scaling.factor,
        low_freq_factor: scaling.lowFreqFactor,
        high_freq_factor: scaling.highFreqFactor,
        original_max_position_embeddings: scaling.originalContext,
      };
  }
}

// The hs/2 inverse frequencies, rounded to float32 as transformers keeps them.
export function inverseFrequencies(headDim: number, base: number, scaling: RopeScaling): Float32Array {
  const half = headDim / 2;
  const inv = Float32Array.from({ length: half }, (_, i) => 1 / base ** ((2 * i) / headDim));
  if (scaling.type === 'linear') return inv.map((f) => f / scaling.factor);
  if (scaling.type === 'llama3') {
    const { factor, lowFreqFactor, highFreqFactor, originalContext } = scaling;
    const lowFreqWavelen = originalContext / lowFreqFactor;
    const highFreqWavelen = originalContext / highFreqFactor;
    return inv.map((f) => {
      const wavelen = (2 * Math.PI) / f;
      if (wavelen > lowFreqWavelen) return f / factor;
      if (wavelen < highFreqWavelen) return f;
      const smooth = (originalContext / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
      return (1 - smooth) * (f / factor) + smooth * f;
    });
  }
  return inv;
}

// The cos and sin tables of one base and scaling, computed for the positions reached so far and
// extended (doubling) as a sequence grows, up to maxPositions: a 131,072-position model does not
// pay for positions a short generation never reaches.
export class RotaryEmbedding {
  private readonly inv: Float32Array;
  private cos: Tensor | null = null;
  private sin: Tensor | null = null;
  private positions = 0;

  constructor(
    readonly headDim: number,
    readonly base: number,
    readonly scaling: RopeScaling,
    readonly maxPositions: number,
  ) {
    if (headDim % 2 !== 0) throw new Error(`RotaryEmbedding: head size ${headDim} must be even`);
    this.inv = inverseFrequencies(headDim, base, scaling);
  }

  private extend(positions: number): void {
    let n = Math.max(this.positions, 64);
    while (n < positions) n *= 2;
    n = Math.min(n, this.maxPositions);
    const hs = this.headDim;
    const half = hs / 2;
    const cos = new Float32Array(n * hs);
    const sin = new Float32Array(n * hs);
    for (let p = 0; p < n; p++) {
      for (let i = 0; i < half; i++) {
        // float32 position times float32 frequency, rounded as transformers' float32 matmul does.
        const angle = Math.fround(p * this.inv[i]);
        cos[p * hs + i] = cos[p * hs + half + i] = Math.cos(angle);
        sin[p * hs + i] = sin[p * hs + half + i] = Math.sin(angle);
      }
    }
    this.cos = T.tensor(cos, { shape: [n, hs] });
    this.sin = T.tensor(sin, { shape: [n, hs] });
    this.positions = n;
  }

  // cos and sin (Tn, hs) for positions start .. start + Tn - 1.
  at(start: number, Tn: number): { cos: Tensor; sin: Tensor } {
    if (start + Tn > this.maxPositions)
      throw new Error(
        `RotaryEmbedding: position ${start + Tn - 1} is past the context of ${this.maxPositions}`,
      );
    if (start + Tn > this.positions) this.extend(start + Tn);
    return { cos: this.cos!.narrow(0, start, Tn), sin: this.sin!.narrow(0, start, Tn) };
  }
}
