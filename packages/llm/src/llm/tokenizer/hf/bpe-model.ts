// The BPE model of a tokenizer.json (tokenizers' models::bpe): a vocabulary of token strings, an
// ordered list of merges, and how a piece of text becomes its first symbols: UTF-8 bytes spelled
// through GPT-2's byte table (byte-level: Llama 3, Qwen3, GPT-2), or characters, with the bytes of a
// character missing from the vocabulary as <0xNN> tokens (byte_fallback: Gemma 3).
//
// Unlike GPT-2's tiktoken rule (bpe.ts), tokenizers merges by the merge list: a pair merges only when
// "left right" is a merge, lowest index first, leftmost on a tie; the same token may come from two
// merges. The loop is merge.ts's, over values that are a token id (below `base`) or base + the index
// of the merge that made the symbol, so that the value a merge leaves is its own priority.
import { UserError } from 'llm-scratch-core/errors';
import { isUtf8 } from 'node:buffer';
import { bytesToUnicode, unicodeToBytes, utf8Encode } from '../byte-unicode.js';
import { LONG_PIECE, mergeLong, mergeShort, NO_MERGE } from '../merge.js';
import { isObject, type JsonObject } from './json.js';

// Pieces shorter than this are cached (tokenizers caches words below 256 characters too); the cache is
// dropped when it holds this many, which bounds memory on text with endless unique words.
const CACHE_PIECE = 256;
const CACHE_SIZE = 1 << 16;
// Ids and base + merge index share one space in the merge loop, whose heap (merge.ts) packs them with
// a position into a double: below 2^21 (Gemma 3: 262,145 ids + 514,906 merges).
export const MAX_ID = 1 << 21;
const SCRATCH = 1 << 14;

export interface BPEModelOptions {
  byteLevel: boolean;
  // Ids of the added tokens, which count in the id space but are not merged.
  size: number;
}

export class BPEModel {
  // Token string -> id, and the string of each id (the model's own vocabulary).
  readonly vocab: Map<string, number>;
  readonly tokens: string[];
  private readonly byteLevel: boolean;
  private readonly base: number;
  // Open-addressing table: (left id, right id) -> merge index.
  private readonly pairLeft: Int32Array;
  private readonly pairRight: Int32Array;
  private readonly pairMerge: Int32Array;
  private readonly pairShift: number;
  // Token id that merge i makes.
  private readonly mergeResult: Int32Array;
  // Id of each byte's token (byte-level), or of its <0xNN> token (byte fallback); -1 when missing.
  private readonly byteIds = new Int32Array(256).fill(-1);
  private readonly byteFallback: boolean;
  private readonly unk: number;
  private readonly fuseUnk: boolean;
  // ignore_merges: a piece that is a token as a whole is that token (text -> id).
  private readonly whole: Map<string, number> | null;
  private cache = new Map<string, number[]>();
  // Scratch for the merge loop; a piece longer than SCRATCH units gets its own, dropped after it.
  private bytes = new Uint8Array(3 * SCRATCH);
  private parts = new Int32Array(3 * SCRATCH);
  private readonly ranks = new Int32Array(LONG_PIECE);

  constructor(spec: JsonObject, where: string, options: BPEModelOptions) {
    if (!isObject(spec.vocab)) throw new UserError(`${where}: "vocab" must be an object of token -> id`);
    if (!Array.isArray(spec.merges)) throw new UserError(`${where}: "merges" must be a list`);
    for (const key of ['continuing_subword_prefix', 'end_of_word_suffix']) {
      if (typeof spec[key] === 'string' && spec[key] !== '') {
        throw new UserError(`${where}: "${key}" is not supported`);
      }
    }
    if (typeof spec.dropout === 'number' && spec.dropout > 0) {
      throw new UserError(`${where}: BPE dropout is not supported (it makes encoding random)`);
    }
    this.byteLevel = options.byteLevel;
    this.vocab = new Map();
    this.tokens = [];
    let size = options.size;
    for (const [token, id] of Object.entries(spec.vocab)) {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= MAX_ID) {
        throw new UserError(
          `${where}: token ${JSON.stringify(token)} has id ${JSON.stringify(id)}, expected an integer in 0..${MAX_ID - 1}`,
        );
      }
      this.vocab.set(token, id);
      this.tokens[id] = token;
      size = Math.max(size, id + 1);
    }
    this.base = size;
    if (size + (spec.merges as unknown[]).length > MAX_ID) {
      throw new UserError(
        `${where}: ${size} ids and ${(spec.merges as unknown[]).length} merges, more than the ${MAX_ID} supported`,
      );
    }
    const merges = spec.merges as unknown[];
    let bits = 4;
    while (1 << bits < 2 * merges.length) bits++;
    this.pairShift = 32 - bits;
    this.pairLeft = new Int32Array(1 << bits).fill(-1);
    this.pairRight = new Int32Array(1 << bits);
    this.pairMerge = new Int32Array(1 << bits);
    this.mergeResult = new Int32Array(merges.length);
    const mask = (1 << bits) - 1;
    const vocab = this.vocab;
    for (let index = 0; index < merges.length; index++) {
      const merge = merges[index];
      let left: unknown, right: unknown;
      if (typeof merge === 'string') {
        const space = merge.indexOf(' ');
        if (space > 0 && merge.indexOf(' ', space + 1) < 0)
          [left, right] = [merge.slice(0, space), merge.slice(space + 1)];
      } else if (Array.isArray(merge) && merge.length === 2) {
        [left, right] = merge as unknown[];
      }
      if (typeof left !== 'string' || typeof right !== 'string' || left === '' || right === '') {
        throw new UserError(
          `${where}: merges[${index}] must be "left right" or ["left", "right"], got ${JSON.stringify(merge).slice(0, 60)}`,
        );
      }
      const a = vocab.get(left);
      const b = vocab.get(right);
      const made = vocab.get(left + right);
      if (a === undefined || b === undefined || made === undefined) {
        const missing = a === undefined ? left : b === undefined ? right : left + right;
        throw new UserError(
          `${where}: merges[${index}] needs ${JSON.stringify(missing)}, which is not in the vocabulary`,
        );
      }
      let h = this.hashPair(a, b);
      while (this.pairLeft[h] !== -1 && !(this.pairLeft[h] === a && this.pairRight[h] === b))
        h = (h + 1) & mask;
      // A repeated merge keeps its last index, as tokenizers' HashMap does.
      this.pairLeft[h] = a;
      this.pairRight[h] = b;
      this.pairMerge[h] = index;
      this.mergeResult[index] = made;
    }
    this.byteFallback = spec.byte_fallback === true;
    this.fuseUnk = spec.fuse_unk === true;
    const unkToken = spec.unk_token;
    this.unk = typeof unkToken === 'string' ? (this.vocab.get(unkToken) ?? -1) : -1;
    if (this.byteLevel) {
      bytesToUnicode().forEach((ch, b) => (this.byteIds[b] = this.vocab.get(ch) ?? -1));
    } else if (this.byteFallback) {
      for (let b = 0; b < 256; b++) {
        this.byteIds[b] = this.vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`) ?? -1;
      }
    }
    this.whole = spec.ignore_merges === true ? this.wholeTokens() : null;
  }

  // For ignore_merges: the text each token stands for (byte-level tokens decoded from their bytes).
  private wholeTokens(): Map<string, number> {
    if (!this.byteLevel) return this.vocab;
    const inverse = unicodeToBytes();
    const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
    const whole = new Map<string, number>();
    let bytes = new Uint8Array(256);
    for (const [token, id] of this.vocab) {
      if (bytes.length < token.length) bytes = new Uint8Array(2 * token.length);
      let k = 0;
      for (; k < token.length; k++) {
        const c = token.charCodeAt(k);
        const b = c < inverse.length ? inverse[c] : -1;
        if (b < 0) break;
        bytes[k] = b;
      }
      const spelled = bytes.subarray(0, token.length);
      // A token that is part of a character is only reached by merging.
      if (k === token.length && isUtf8(spelled)) whole.set(utf8.decode(spelled), id);
    }
    return whole;
  }

  private hashPair(a: number, b: number): number {
    return Math.imul(Math.imul(a, 0x9e3779b1) ^ b, 0x85ebca6b) >>> this.pairShift;
  }

  private readonly pairRank = (left: number, right: number): number => {
    const a = left < this.base ? left : this.mergeResult[left - this.base];
    const b = right < this.base ? right : this.mergeResult[right - this.base];
    const mask = this.pairLeft.length - 1;
    for (let h = this.hashPair(a, b); ; h = (h + 1) & mask) {
      const l = this.pairLeft[h];
      if (l === -1) return NO_MERGE;
      if (l === a && this.pairRight[h] === b) return this.base + this.pairMerge[h];
    }
  };

  // Appends the ids of one piece to out.
  encodePiece(piece: string, out: number[]): void {
    if (piece === '') return;
    const known = this.whole?.get(piece);
    if (known !== undefined) {
      out.push(known);
      return;
    }
    const cached = this.cache.get(piece);
    if (cached) {
      for (const id of cached) out.push(id);
      return;
    }
    const ids = this.mergePiece(piece);
    if (piece.length < CACHE_PIECE) {
      if (this.cache.size >= CACHE_SIZE) this.cache = new Map();
      this.cache.set(piece, ids);
    }
    for (const id of ids) out.push(id);
  }

  // UTF-8 takes at most 3 bytes per UTF-16 unit, and a piece has at most one symbol per byte.
  private grow(units: number): void {
    if (this.parts.length >= 3 * units) return;
    this.bytes = new Uint8Array(3 * units);
    this.parts = new Int32Array(3 * units);
  }

  // The first symbols of a piece, in this.parts; returns their count.
  private symbols(piece: string): number {
    this.grow(piece.length);
    const { bytes, parts, byteIds } = this;
    if (this.byteLevel) {
      const n = utf8Encode(piece, 0, piece.length, bytes);
      for (let i = 0; i < n; i++) {
        const id = byteIds[bytes[i]];
        if (id < 0) throw new UserError(`the vocabulary has no token for byte 0x${bytes[i].toString(16)}`);
        parts[i] = id;
      }
      return n;
    }
    let m = 0;
    for (const ch of piece) {
      const id = this.vocab.get(ch);
      if (id !== undefined) {
        parts[m++] = id;
        continue;
      }
      if (this.byteFallback) {
        const n = utf8Encode(ch, 0, ch.length, bytes);
        let all = true;
        for (let i = 0; i < n; i++) all &&= byteIds[bytes[i]] >= 0;
        if (all) {
          for (let i = 0; i < n; i++) parts[m++] = byteIds[bytes[i]];
          continue;
        }
      }
      if (this.unk < 0)
        throw new UserError(`the vocabulary has no token for ${JSON.stringify(ch)} and no unk_token`);
      if (!(this.fuseUnk && m > 0 && parts[m - 1] === this.unk)) parts[m++] = this.unk;
    }
    return m;
  }

  private mergePiece(piece: string): number[] {
    let m = this.symbols(piece);
    const { parts, ranks, base, mergeResult } = this;
    m = m > LONG_PIECE ? mergeLong(parts, m, this.pairRank) : mergeShort(parts, ranks, m, this.pairRank);
    const ids = new Array<number>(m);
    for (let i = 0; i < m; i++) ids[i] = parts[i] < base ? parts[i] : mergeResult[parts[i] - base];
    if (parts.length > 3 * SCRATCH) {
      this.bytes = new Uint8Array(3 * SCRATCH);
      this.parts = new Int32Array(3 * SCRATCH);
    }
    return ids;
  }
}
