// Weights kept in bfloat16 only, for inference: a model loaded with dtype bf16 (or a GPT-2 model
// made decode-only by keepWeightsInBf16) holds each matrix as bf16 bits here, half the bytes of
// float32, and its tensor's float32 array is released. linear() then streams the bits through gemv
// and embedding() widens the rows it gathers; any other op that asks such a tensor for its float32
// values (training, saving, a matmul) gets an error that says why, not zeros.
import { formatShape, sizeOf } from './shape.js';
import { RELEASED } from './storage.js';
import type { Tensor } from './tensor.js';

const bits = new WeakMap<Tensor, Uint16Array>();

// Makes t bf16-only: its values are now `b` (its size, bf16 bits, row-major); its float32 array
// is dropped (freed once nothing else holds it).
export function keepInBf16(t: Tensor, b: Uint16Array): void {
  if (t.dtype !== 'float32' || b.length !== sizeOf(t.shape))
    throw new Error(`keepInBf16: ${b.length} bf16 values for a tensor of shape ${formatShape(t.shape)}`);
  if (t.requiresGrad) t.requiresGrad = false;
  bits.set(t, b);
  t.data = RELEASED;
}

// The bf16 bits of a tensor kept in bf16 only; undefined for any other tensor.
export function bf16Bits(t: Tensor): Uint16Array | undefined {
  return bits.get(t);
}

// The error an op raises on a bf16-only weight it cannot run on (Tensor.f32 raises it for all).
export function bf16OnlyError(op: string, shape: readonly number[]): Error {
  return new Error(
    `${op}: the weight of shape ${formatShape(shape)} is kept in bf16 for inference only (the model was loaded with dtype bf16); load it in f32 to train or change it`,
  );
}
