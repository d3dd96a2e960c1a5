// The batcher tests' requests: mixed sampling settings, prompt lengths and budgets, over a
// vocabulary of `vocab` ids; the second runs past a context of 40 tokens.
import type { SequenceOptions } from '../../src/serve/batcher.js';

export interface Job {
  prompt: number[];
  options: SequenceOptions;
}

// A prompt of `length` ids, spread over the vocabulary from `from`.
export const jobPrompt = (vocab: number, length: number, from: number) =>
  Array.from({ length }, (_, i) => (from + 37 * i) % vocab);

export function batchJobs(vocab: number): Job[] {
  const prompt = (length: number, from: number) => jobPrompt(vocab, length, from);
  return [
    { prompt: prompt(12, 1), options: { maxNewTokens: 20 } },
    { prompt: prompt(3, 2), options: { maxNewTokens: 45, temperature: 1, seed: 7 } },
    { prompt: prompt(1, 3), options: { maxNewTokens: 10, temperature: 0.8, topK: 20, seed: 11 } },
    { prompt: prompt(9, 4), options: { maxNewTokens: 30, temperature: 1.2, topP: 0.9, seed: 3 } },
    { prompt: prompt(15, 5), options: { maxNewTokens: 25, topK: 5 } },
    { prompt: prompt(2, 6), options: { maxNewTokens: 16, temperature: 0.7, topK: 50, topP: 0.8, seed: 99 } },
  ];
}
