// GPT-2's byte-level BPE (the book's chapter 2, section 2.5), exact to tiktoken's 'gpt2' encoding.
//
// Encoding a text: split it into pieces with GPT-2's pre-tokenizer (pretokenize.ts), turn each piece
// into UTF-8 bytes and merge adjacent tokens, lowest rank first, until no adjacent pair makes a
// token. Like tiktoken, a pair merges when the concatenation of its bytes is a token (whatever merge
// made that token), the leftmost pair wins a tie, and a piece that is a token as a whole is looked up
// directly. Speed comes from three lookups before any merging: the whole piece as a token (most
// English words), then a bounded cache of pieces seen before, then the merge loop over an int array
// with an open-addressing table of rank pairs (no strings inside the loop).
import { setImmediate as nextTurn } from 'node:timers/promises';
import { UserError } from 'llm-scratch-core/errors';
import { utf8Encode } from './byte-unicode.js';
import { LONG_PIECE, mergeLong, mergeShort, NO_MERGE } from './merge.js';
import { PieceTable } from './piece-table.js';
import { bmpClasses, pieceEnd } from './pretokenize.js';
import { readVocab, type BPEVocab } from './vocab-files.js';

export type SpecialSet = 'all' | Iterable<string>;

export interface EncodeOptions {
  // Special tokens that encode to their id when they appear in the text (tiktoken's allowed_special).
  allowedSpecial?: SpecialSet;
  // Special tokens whose presence in the text is an error; 'all' (the default) means every special
  // token that is not allowed. Pass [] to encode special-token text as ordinary text.
  disallowedSpecial?: SpecialSet;
}

// At least 2^18 slots, half of them usable: for GPT-2, its ~50k whole-piece tokens plus ~80k cached
// pieces. When full, the cache is dropped at once, which bounds memory on text with endless unique
// strings. (A bigger table measured no faster: the lookups that miss the CPU caches are the rare ones.)
const MIN_TABLE_BITS = 18;
// The longest piece merged in one go, in UTF-16 units (mergeChunk).
const MAX_PIECE = 8192;

// Every split of every token into two tokens is a pair that merges (tiktoken's rule), as a flat
// list of (left rank << 16 | right rank, rank of the merged token).
export function mergeablePairs(vocab: BPEVocab): Int32Array {
  // Tokens as Latin-1 strings (one char per byte), so that splits are cheap slices.
  const spelled: string[] = [];
  for (const id of vocab.rankToId) {
    const b = vocab.tokens[id];
    let s = '';
    for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
    spelled.push(s);
  }
  const rankOf = new Map<string, number>(spelled.map((s, rank) => [s, rank]));
  const pairs: number[] = [];
  spelled.forEach((s, rank) => {
    for (let k = 1; k < s.length; k++) {
      const left = rankOf.get(s.slice(0, k));
      const right = rankOf.get(s.slice(k));
      if (left !== undefined && right !== undefined) pairs.push((left << 16) | right, rank);
    }
  });
  return Int32Array.from(pairs);
}

export class BPETokenizer {
  readonly vocab: BPEVocab;
  readonly name: string;
  private readonly classes = bmpClasses();
  // Text of a piece -> ids: every non-special token whose bytes are valid UTF-8 on their own
  // (permanent), then the pieces the merge loop has encoded (a cache).
  private readonly table: PieceTable;
  // Id of each one-unit piece that is a token (-1: none, or it needs merging).
  private readonly single = new Int32Array(65536).fill(-1);
  // Open-addressing table: key (left rank << 16 | right rank) -> rank of the merged token.
  private readonly pairKeys: Int32Array;
  private readonly pairRanks: Int32Array;
  private readonly pairShift: number;
  private readonly rankToId: Int32Array;
  private readonly offsets: Int32Array;
  private readonly tokenBytes: Uint8Array;
  // Scratch for the merge loop, grown on demand.
  private bytes = new Uint8Array(1024);
  private parts = new Int32Array(1024);
  private ranks = new Int32Array(1024);
  // ignoreBOM: a leading U+FEFF is text here, not a byte-order mark to drop.
  private readonly utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

  // pairs: mergeablePairs(vocab), passed in when it was precompiled (vocab-cache.ts).
  constructor(vocab: BPEVocab, name = 'bpe', pairs: Int32Array = mergeablePairs(vocab)) {
    this.vocab = vocab;
    this.name = name;
    this.rankToId = vocab.rankToId;
    let bits = 4;
    while (1 << bits < pairs.length) bits++; // load factor <= 0.5
    this.pairShift = 32 - bits;
    this.pairKeys = new Int32Array(1 << bits).fill(-1);
    this.pairRanks = new Int32Array(1 << bits);
    const mask = (1 << bits) - 1;
    for (let p = 0; p < pairs.length; p += 2) {
      let h = Math.imul(pairs[p], 0x9e3779b1) >>> this.pairShift;
      while (this.pairKeys[h] !== -1 && this.pairKeys[h] !== pairs[p]) h = (h + 1) & mask;
      this.pairKeys[h] = pairs[p];
      this.pairRanks[h] = pairs[p + 1];
    }
    const specialIds = new Set(vocab.specials.values());
    let tableBits = MIN_TABLE_BITS;
    while (1 << (tableBits - 1) < 2 * vocab.tokens.length) tableBits++;
    this.table = new PieceTable(tableBits);
    const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    vocab.tokens.forEach((bytes, id) => {
      if (specialIds.has(id)) return;
      let text: string;
      try {
        text = decoder.decode(bytes);
      } catch {
        return; // part of a character: such a token is only reached by merging
      }
      if (text.length === 1) this.single[text.charCodeAt(0)] = id;
      const h = PieceTable.hash(text, 0, text.length);
      const slot = this.table.find(text, 0, text.length, h);
      if (slot < 0) this.table.insert(slot, text, 0, text.length, h, [id]);
    });
    this.table.freeze();
    // Flat copies of the token bytes, for decoding.
    this.offsets = new Int32Array(vocab.tokens.length + 1);
    vocab.tokens.forEach((b, id) => (this.offsets[id + 1] = this.offsets[id] + b.length));
    this.tokenBytes = new Uint8Array(this.offsets[vocab.tokens.length]);
    vocab.tokens.forEach((b, id) => this.tokenBytes.set(b, this.offsets[id]));
  }

  // Loads encoder.json and vocab.bpe from a directory.
  static fromDirectory(dir: string, name = dir): BPETokenizer {
    return new BPETokenizer(readVocab(dir), name);
  }

  get vocabSize(): number {
    return this.vocab.tokens.length;
  }

  get specialTokens(): ReadonlyMap<string, number> {
    return this.vocab.specials;
  }

  private readonly pairRankOf = (left: number, right: number) => this.pairRank(left, right);

  private pairRank(left: number, right: number): number {
    const key = (left << 16) | right;
    const keys = this.pairKeys;
    const mask = keys.length - 1;
    let h = Math.imul(key, 0x9e3779b1) >>> this.pairShift;
    for (;;) {
      const k = keys[h];
      if (k === key) return this.pairRanks[h];
      if (k === -1) return NO_MERGE;
      h = (h + 1) & mask;
    }
  }

  // The merge loop over one piece (merge.ts): bytes as ranks 0..255, merged lowest rank first.
  private mergePiece(text: string, start: number, end: number): number[] {
    if (this.bytes.length < 3 * (end - start)) {
      const size = 3 * (end - start) + 16;
      this.bytes = new Uint8Array(size);
      this.parts = new Int32Array(size);
      this.ranks = new Int32Array(size);
    }
    const { bytes, parts, ranks } = this;
    let m = utf8Encode(text, start, end, bytes);
    for (let i = 0; i < m; i++) parts[i] = bytes[i];
    m = m > LONG_PIECE ? mergeLong(parts, m, this.pairRankOf) : mergeShort(parts, ranks, m, this.pairRankOf);
    const ids = new Array<number>(m);
    for (let i = 0; i < m; i++) ids[i] = this.rankToId[parts[i]];
    return ids;
  }

  // Merges the next chunk of the long piece text[at, end) into out and returns where the chunk
  // ends. A piece is merged MAX_PIECE units at a time (never splitting a surrogate pair), which
  // bounds the cost of one absurd "word" and lets encodeAsync yield inside it; GPT-2 text has no
  // piece that long, so its ids are tiktoken's.
  private mergeChunk(text: string, at: number, end: number, out: number[]): number {
    let stop = Math.min(end, at + MAX_PIECE);
    const last = text.charCodeAt(stop - 1);
    if (stop < end && last >= 0xd800 && last <= 0xdbff) stop--;
    const ids = this.mergePiece(text, at, stop);
    for (let k = 0; k < ids.length; k++) out.push(ids[k]);
    return stop;
  }

  // Appends the ids of text[start, end), which holds no special token to honour, to out.
  // Stops at the first piece boundary at or after `stop` and returns it; with stop < end it also
  // stops before a piece longer than MAX_PIECE (for encodeAsync to merge in turns). The pieces are
  // always those of text[start, end) as a whole.
  private encodeSegment(text: string, start: number, end: number, out: number[], stop = end): number {
    const { table, classes, single } = this;
    let i = start;
    while (i < end && i < stop) {
      const j = pieceEnd(text, i, end, classes);
      if (j === i + 1) {
        // One UTF-16 unit ('.', ',', '\n', a CJK character...): a table indexed by the unit.
        const id = single[text.charCodeAt(i)];
        if (id >= 0) {
          out.push(id);
          i = j;
          continue;
        }
      }
      if (j - i > LONG_PIECE) {
        if (j - i > MAX_PIECE && stop < end) return i;
        // Too long to repeat, and to keep in the cache.
        let c = i;
        while (c < j) c = this.mergeChunk(text, c, j, out);
        i = j;
        continue;
      }
      const h = PieceTable.hash(text, i, j);
      const slot = table.find(text, i, j, h);
      if (slot < 0) {
        const ids = this.mergePiece(text, i, j);
        if (!table.insert(slot, text, i, j, h, ids)) {
          table.reset();
          table.insert(table.find(text, i, j, h), text, i, j, h, ids);
        }
        for (let k = 0; k < ids.length; k++) out.push(ids[k]);
      } else {
        const value = table.value(slot);
        if (value >= 0) out.push(value);
        else {
          const runs = table.runs;
          const at = ~value;
          for (let k = at + 1, e = at + 1 + runs[at]; k < e; k++) out.push(runs[k]);
        }
      }
      i = j;
    }
    return i;
  }

  // Encodes text as ordinary text: special-token text gets no special treatment.
  encodeOrdinary(text: string): number[] {
    const out: number[] = [];
    this.encodeSegment(text, 0, text.length, out);
    return out;
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const out: number[] = [];
    const segments = this.segments(text, options);
    for (let s = 0; s < segments.length; s += 3) {
      if (segments[s + 2] >= 0) out.push(segments[s + 2]);
      else this.encodeSegment(text, segments[s], segments[s + 1], out);
    }
    return out;
  }

  /**
   * The same ids as encode, with a turn of the event loop after about every `budget` UTF-16 units
   * of text and between the chunks of a long piece, so that a server goes on answering other
   * requests while it tokenizes a long prompt.
   */
  async encodeAsync(text: string, options: EncodeOptions = {}, budget = 1 << 14): Promise<number[]> {
    const out: number[] = [];
    const segments = this.segments(text, options);
    for (let s = 0; s < segments.length; s += 3) {
      const [start, end, special] = [segments[s], segments[s + 1], segments[s + 2]];
      if (special >= 0) {
        out.push(special);
        continue;
      }
      for (let i = start; i < end;) {
        const reached = this.encodeSegment(text, i, end, out, i + budget);
        if (reached < i + budget && reached < end) {
          // Stopped before a long piece: its chunks, one turn each.
          const j = pieceEnd(text, reached, end, this.classes);
          for (let c = reached; c < j; await nextTurn()) c = this.mergeChunk(text, c, j, out);
          i = j;
        } else {
          i = reached;
          await nextTurn();
        }
      }
    }
    return out;
  }

  // The text cut into ordinary runs and allowed special tokens, as triples (start, end, id), the id
  // -1 for ordinary text; throws on a special token that is not allowed.
  private segments(text: string, options: EncodeOptions): number[] {
    const specials = this.vocab.specials;
    const allowed = new Set(
      options.allowedSpecial === 'all' ? specials.keys() : (options.allowedSpecial ?? []),
    );
    for (const token of allowed) {
      if (!specials.has(token))
        throw new UserError(`${JSON.stringify(token)} is not a special token of ${this.name}`);
    }
    const disallowedOption = options.disallowedSpecial ?? 'all';
    const disallowed =
      disallowedOption === 'all'
        ? [...specials.keys()].filter((t) => !allowed.has(t))
        : [...disallowedOption];
    for (const token of disallowed) {
      if (text.includes(token)) {
        throw new UserError(
          `the text contains the special token ${token} (id ${specials.get(token) ?? '?'}), which is not allowed: ` +
            `allow it (allowedSpecial, or --allow-special) or pass disallowedSpecial: [] to encode it as ordinary text`,
        );
      }
    }
    const segments: number[] = [];
    let start = 0;
    while (allowed.size > 0) {
      // The leftmost allowed special token, the longest on a tie.
      let at = -1;
      let found = '';
      for (const token of allowed) {
        const k = text.indexOf(token, start);
        if (k >= 0 && (at < 0 || k < at || (k === at && token.length > found.length))) {
          at = k;
          found = token;
        }
      }
      if (at < 0) break;
      segments.push(start, at, -1, at, at + found.length, specials.get(found)!);
      start = at + found.length;
    }
    segments.push(start, text.length, -1);
    return segments;
  }

  // The bytes of a token sequence; tokens may split a UTF-8 character, so bytes are the exact inverse.
  decodeBytes(ids: ArrayLike<number>): Uint8Array {
    const { offsets, tokenBytes } = this;
    const vocabSize = offsets.length - 1;
    let length = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!(id >= 0 && id < vocabSize && Number.isInteger(id))) {
        throw new UserError(`unknown token id ${id} (the vocabulary has ids 0..${vocabSize - 1})`);
      }
      length += offsets[id + 1] - offsets[id];
    }
    const out = new Uint8Array(length);
    let n = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      for (let k = offsets[id], e = offsets[id + 1]; k < e; k++) out[n++] = tokenBytes[k];
    }
    return out;
  }

  // Text of a token sequence. Bytes that are not valid UTF-8 (a character split across the end of the
  // sequence, or a stray byte token) become U+FFFD, as tiktoken's decode(errors='replace').
  decode(ids: ArrayLike<number>): string {
    return this.utf8.decode(this.decodeBytes(ids));
  }
}
