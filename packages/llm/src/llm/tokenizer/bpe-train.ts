// Training a byte-level BPE from scratch (the book's chapter-2 bonus material; the algorithm of
// Sennrich et al. 2016 over bytes, as GPT-2 did): split the corpus with GPT-2's pre-tokenizer, count
// each distinct piece once with its frequency, start from the 256 bytes and repeatedly merge the most
// frequent adjacent pair (ties: the smallest pair of ranks, so training is deterministic) until the
// vocabulary has the size asked for. Pairs never cross piece boundaries, so the result encodes with
// the same pre-tokenizer and merge rule as GPT-2's own vocabulary (bpe.ts).
import { UserError } from 'llm-scratch-core/errors';
import { bytesToUnicode } from './byte-unicode.js';
import { pretokenize } from './pretokenize.js';
import { MAX_VOCAB, type BPEVocab } from './vocab-files.js';

export interface BPETrainOptions {
  // Size of the vocabulary: 256 bytes + merges + special tokens.
  vocabSize: number;
  // Special tokens, given the last ids; their text in the corpus is not learned from.
  specialTokens?: string[];
  // A pair seen fewer times than this is not merged (training may then stop short of vocabSize).
  minFrequency?: number;
}

export interface BPETrainResult {
  vocab: BPEVocab;
  // Distinct pre-tokenizer pieces and their total count.
  pieces: number;
  occurrences: number;
}

const utf8 = new TextEncoder();
const key = (a: number, b: number) => a * 65536 + b;

export function trainBPE(texts: Iterable<string>, options: BPETrainOptions): BPETrainResult {
  const specials = options.specialTokens ?? ['<|endoftext|>'];
  const minFrequency = options.minFrequency ?? 2;
  const { vocabSize } = options;
  if (!Number.isInteger(vocabSize) || vocabSize < 256 + specials.length || vocabSize > MAX_VOCAB) {
    throw new UserError(
      `vocabulary size ${vocabSize} is out of range: it must hold the 256 bytes and ${specials.length} special token(s), at most ${MAX_VOCAB}`,
    );
  }
  // Distinct pieces and their frequencies.
  const frequency = new Map<string, number>();
  let occurrences = 0;
  for (const text of texts) {
    const segments = specials.length ? text.split(new RegExp(specials.map(escapeRegExp).join('|'))) : [text];
    for (const segment of segments) {
      for (const piece of pretokenize(segment)) {
        frequency.set(piece, (frequency.get(piece) ?? 0) + 1);
        occurrences++;
      }
    }
  }
  // Each piece as a sequence of symbols (ranks: bytes 0..255, then merges).
  const words: number[][] = [];
  const counts: number[] = [];
  for (const [piece, count] of frequency) {
    words.push(Array.from(utf8.encode(piece)));
    counts.push(count);
  }
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const addPairs = (w: number, sign: number) => {
    const word = words[w];
    for (let i = 0; i + 1 < word.length; i++) {
      const k = key(word[i], word[i + 1]);
      pairCount.set(k, (pairCount.get(k) ?? 0) + sign * counts[w]);
      if (sign > 0) {
        let set = pairWords.get(k);
        if (!set) pairWords.set(k, (set = new Set()));
        set.add(w);
      }
    }
  };
  for (let w = 0; w < words.length; w++) addPairs(w, 1);

  const merges: Array<[number, number]> = [];
  const targetMerges = vocabSize - 256 - specials.length;
  while (merges.length < targetMerges) {
    let best = -1;
    let bestCount = 0;
    for (const [k, count] of pairCount) {
      if (count > bestCount || (count === bestCount && count > 0 && k < best)) {
        best = k;
        bestCount = count;
      }
    }
    if (best < 0 || bestCount < minFrequency) break;
    const a = Math.floor(best / 65536);
    const b = best % 65536;
    const merged = 256 + merges.length;
    merges.push([a, b]);
    for (const w of pairWords.get(best) ?? []) {
      const word = words[w];
      addPairs(w, -1);
      const next: number[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i + 1 < word.length && word[i] === a && word[i + 1] === b) {
          next.push(merged);
          i++;
        } else next.push(word[i]);
      }
      words[w] = next;
      addPairs(w, 1);
    }
    pairCount.delete(best);
    pairWords.delete(best);
  }
  return { vocab: assembleVocab(merges, specials), pieces: frequency.size, occurrences };
}

// Ids as GPT-2 lays them out: the bytes in bytes_to_unicode's order (printable ones first), then one
// id per merge in rank order, then the special tokens.
export function assembleVocab(merges: Array<[number, number]>, specials: string[]): BPEVocab {
  const table = bytesToUnicode();
  const byteOrder = Array.from({ length: 256 }, (_, b) => b).sort(
    (x, y) => byteOrderKey(table[x]) - byteOrderKey(table[y]),
  );
  const rankBytes: Uint8Array[] = Array.from({ length: 256 }, (_, b) => Uint8Array.of(b));
  for (const [a, b] of merges) {
    const bytes = new Uint8Array(rankBytes[a].length + rankBytes[b].length);
    bytes.set(rankBytes[a]);
    bytes.set(rankBytes[b], rankBytes[a].length);
    rankBytes.push(bytes);
  }
  const rankToId = new Int32Array(rankBytes.length);
  const tokens: Uint8Array[] = [];
  byteOrder.forEach((b, id) => {
    rankToId[b] = id;
    tokens.push(rankBytes[b]);
  });
  for (let r = 256; r < rankBytes.length; r++) {
    rankToId[r] = r;
    tokens.push(rankBytes[r]);
  }
  const specialIds = new Map<string, number>();
  for (const token of specials) {
    specialIds.set(token, tokens.length);
    tokens.push(utf8.encode(token));
  }
  return { tokens, rankToId, merges, specials: specialIds };
}

// bytes_to_unicode lists printable bytes first, in byte order, then the rest mapped from U+0100 up:
// ordering by the mapped character gives exactly that list.
function byteOrderKey(ch: string): number {
  const c = ch.charCodeAt(0);
  return c >= 256 ? 1000 + c : c;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
