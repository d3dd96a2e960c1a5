// What every tokenizer of the project offers: GPT-2's byte-level BPE and its trained vocabularies
// (bpe.ts) and the tokenizers of Hugging Face model directories (hf/tokenizer.ts).
import type { EncodeOptions } from './bpe.js';

export interface Tokenizer {
  readonly name: string;
  // One more than the largest id.
  readonly vocabSize: number;
  // Special tokens (text -> id), the ones EncodeOptions' allowedSpecial and disallowedSpecial name.
  readonly specialTokens: ReadonlyMap<string, number>;
  encode(text: string, options?: EncodeOptions): number[];
  // The text's ids with special-token text encoded as ordinary text.
  encodeOrdinary(text: string): number[];
  // encode, giving the event loop a turn after about every `budget` UTF-16 units.
  encodeAsync(text: string, options?: EncodeOptions, budget?: number): Promise<number[]>;
  decode(ids: ArrayLike<number>): string;
  decodeBytes(ids: ArrayLike<number>): Uint8Array;
}
