// A Hugging Face tokenizer.json, encoded and decoded as the tokenizers library does for the families
// we support (Llama 3, Qwen3, Gemma 3, GPT-2): added tokens cut out first (added-tokens.ts), each
// stretch between them normalized (normalizer.ts) and cut into pieces (pre-tokenizer.ts), each piece
// merged by the BPE model (bpe-model.ts). No special token is added: a BOS comes from the chat
// template or the caller, as with tokenizers' add_special_tokens=False.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { UserError } from 'llm-scratch-core/errors';
import type { EncodeOptions } from '../bpe.js';
import type { Tokenizer } from '../tokenizer.js';
import { AddedTokenMatcher, parseAddedTokens, type AddedToken, type SpecialPolicy } from './added-tokens.js';
import { BPEModel } from './bpe-model.js';
import { buildDecoder, byteLevelBytes, type Decoder } from './decoder.js';
import { isObject, readJsonFile } from './json.js';
import { buildNormalizer, type Normalizer } from './normalizer.js';
import { buildPreTokenizer, type PreTokenizer } from './pre-tokenizer.js';

export class HFTokenizer implements Tokenizer {
  readonly name: string;
  readonly vocabSize: number;
  readonly specialTokens: ReadonlyMap<string, number>;
  readonly addedTokens: readonly AddedToken[];
  private readonly model: BPEModel;
  private readonly normalizer: Normalizer | null;
  private readonly preTokenizer: PreTokenizer;
  private readonly decoder: Decoder;
  private readonly rawMatcher: AddedTokenMatcher;
  private readonly normalizedMatcher: AddedTokenMatcher;
  private readonly addedById = new Map<number, AddedToken>();
  private readonly addedByContent = new Map<string, number>();
  private readonly byteLevelDecoder: boolean;

  // json: a parsed tokenizer.json; file names it in errors.
  constructor(json: unknown, file: string, name = file) {
    if (!isObject(json)) throw new UserError(`${file}: expected a JSON object`);
    const model = json.model;
    if (!isObject(model)) throw new UserError(`${file}: no "model"`);
    if (model.type !== 'BPE' && !(model.type === undefined && 'merges' in model)) {
      throw new UserError(
        `${file}: model type ${JSON.stringify(model.type)} is not supported (supported: BPE, as in Llama 3, Qwen3, Gemma 3 and GPT-2)`,
      );
    }
    this.name = name;
    this.addedTokens = parseAddedTokens(json.added_tokens, file);
    this.normalizer = buildNormalizer(json.normalizer, `${file}: normalizer`);
    this.preTokenizer = buildPreTokenizer(json.pre_tokenizer, `${file}: pre_tokenizer`);
    this.decoder = buildDecoder(json.decoder, `${file}: decoder`);
    this.byteLevelDecoder = isObject(json.decoder) && json.decoder.type === 'ByteLevel';
    const size = this.addedTokens.reduce((n, t) => Math.max(n, t.id + 1), 0);
    this.model = new BPEModel(model, `${file}: model`, { byteLevel: this.preTokenizer.byteLevel, size });
    this.vocabSize = Math.max(size, this.model.tokens.length);
    for (const token of this.addedTokens) {
      this.addedById.set(token.id, token);
      this.addedByContent.set(token.content, token.id);
    }
    this.specialTokens = new Map(this.addedTokens.filter((t) => t.special).map((t) => [t.content, t.id]));
    this.rawMatcher = new AddedTokenMatcher(this.addedTokens.filter((t) => !t.normalized));
    this.normalizedMatcher = new AddedTokenMatcher(this.addedTokens.filter((t) => t.normalized));
  }

  static fromFile(file: string, name = file): HFTokenizer {
    return new HFTokenizer(readJsonFile(file), file, name);
  }

  // What each special token found in the text becomes, from EncodeOptions as bpe.ts reads them.
  private policy(options: EncodeOptions): SpecialPolicy {
    const allowed = new Set(
      options.allowedSpecial === 'all' ? this.specialTokens.keys() : (options.allowedSpecial ?? []),
    );
    for (const token of allowed) {
      if (!this.specialTokens.has(token))
        throw new UserError(`${JSON.stringify(token)} is not a special token of ${this.name}`);
    }
    const disallowed = options.disallowedSpecial ?? 'all';
    const refused = disallowed === 'all' ? null : new Set(disallowed);
    return (token) =>
      allowed.has(token.content)
        ? 'split'
        : refused === null || refused.has(token.content)
          ? 'refuse'
          : 'text';
  }

  // The text as added-token ids and pieces for the model to merge, in order.
  private *pieces(text: string, policy: SpecialPolicy): Generator<number | string> {
    for (const [start, end, id] of this.rawMatcher.split(text, 0, text.length, policy)) {
      if (id >= 0) {
        yield id;
        continue;
      }
      const stretch = this.normalizer ? this.normalizer(text.slice(start, end)) : text.slice(start, end);
      for (const [s, e, added] of this.normalizedMatcher.split(stretch, 0, stretch.length, policy)) {
        if (added >= 0) yield added;
        else yield* this.preTokenizer.split(stretch.slice(s, e));
      }
    }
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const out: number[] = [];
    for (const piece of this.pieces(text, this.policy(options))) {
      if (typeof piece === 'number') out.push(piece);
      else this.model.encodePiece(piece, out);
    }
    return out;
  }

  encodeOrdinary(text: string): number[] {
    return this.encode(text, { disallowedSpecial: [] });
  }

  async encodeAsync(text: string, options: EncodeOptions = {}, budget = 1 << 14): Promise<number[]> {
    const out: number[] = [];
    let done = 0;
    for (const piece of this.pieces(text, this.policy(options))) {
      if (typeof piece === 'number') {
        out.push(piece);
        continue;
      }
      this.model.encodePiece(piece, out);
      done += piece.length;
      if (done >= budget) {
        done = 0;
        await nextTurn();
      }
    }
    return out;
  }

  // The string of a token: an added token's content, or the model's token.
  idToToken(id: number): string {
    const token = this.addedById.get(id)?.content ?? this.model.tokens[id];
    if (token === undefined || !Number.isInteger(id)) {
      throw new UserError(`unknown token id ${id} (the vocabulary has ids 0..${this.vocabSize - 1})`);
    }
    return token;
  }

  tokenToId(token: string): number | undefined {
    return this.addedByContent.get(token) ?? this.model.vocab.get(token);
  }

  decode(ids: ArrayLike<number>): string {
    const tokens = Array.from(ids, (id) => this.idToToken(id));
    return this.decoder(tokens).join('');
  }

  decodeBytes(ids: ArrayLike<number>): Uint8Array {
    if (this.byteLevelDecoder) return byteLevelBytes(Array.from(ids, (id) => this.idToToken(id)));
    return new TextEncoder().encode(this.decode(ids));
  }
}
