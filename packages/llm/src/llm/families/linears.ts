// Layers applied to the same x (q, k and v; gate and up): plain Linear layers together
// (T.linearMany: one call to the threads when decoding), any other (a LoRA-wrapped one) by its own
// forward.
import { Linear, type Module } from '../../nn/index.js';
import * as T from '../../tensor/index.js';
import type { Tensor } from '../../tensor/index.js';

export function linearsOf(x: Tensor, layers: readonly Module[]): Tensor[] {
  return layers.every((l) => l instanceof Linear)
    ? T.linearMany(x, layers as Linear[])
    : layers.map((l) => (l as unknown as { forward(x: Tensor): Tensor }).forward(x));
}
