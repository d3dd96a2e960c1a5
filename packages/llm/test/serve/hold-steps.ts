// Holds every decode step of a batch decoder (GPT-2's Decoder, FamilyDecoder) to at least `ms`
// milliseconds, so that a long request really is running when others arrive, whatever the machine.
// Only the decoders `held` picks are held. Returns what puts the prototype back.
import type { BatchDecoder } from '../../src/serve/batcher.js';

export function holdSteps<D extends BatchDecoder>(
  prototype: D,
  held: (decoder: D) => boolean = () => true,
  ms = 5,
): () => void {
  const { stepSequence, stepBatch } = prototype;
  const hold = (decoder: D) => {
    if (!held(decoder)) return;
    const until = performance.now() + ms;
    while (performance.now() < until);
  };
  prototype.stepSequence = function (this: D, cache, ids) {
    hold(this);
    return stepSequence.call(this, cache, ids);
  };
  prototype.stepBatch = function (this: D, caches, ids) {
    hold(this);
    return stepBatch.call(this, caches, ids);
  };
  return () => void Object.assign(prototype, { stepSequence, stepBatch });
}
