// GPT-2's vocabulary, precompiled: parsing encoder.json and vocab.bpe and deriving the pairs that
// merge took 0.6 s of every command that tokenizes (`llm-scratch tokenize hi` spent half its time
// there), while reading this file is a few milliseconds. `npm run build` writes it into dist/ (see
// scripts/build-vocab.mjs); the two source files stay the truth: the cache names the SHA-256 of
// their bytes, and a cache that is missing, of another version, damaged or made from other files
// is ignored (the tokenizer then parses the sources, as before).
//
// Layout, little-endian, every section 4-byte aligned:
//   magic 'LSBPEVOC', u32 version, 32-byte SHA-256 of encoder.json + vocab.bpe,
//   u32 tokens, u32 token bytes, u32 ranks, u32 merges, u32 pair ints, u32 specials JSON bytes,
//   i32 offsets[tokens + 1], u8 token bytes (padded), i32 rankToId[ranks], i32 merges[2 * merges],
//   i32 pairs[pair ints], the specials as JSON [[text, id], ...].
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BPEVocab } from './vocab-files.js';

const MAGIC = 'LSBPEVOC';
const VERSION = 1;
const HEADER = 8 + 4 + 32 + 6 * 4;

export interface CompiledVocab {
  vocab: BPEVocab;
  pairs: Int32Array;
}

// SHA-256 of a vocabulary directory's encoder.json and vocab.bpe, as the cache records it.
export function vocabSourceHash(dir: string): Buffer {
  const hash = createHash('sha256');
  hash.update(readFileSync(join(dir, 'encoder.json')));
  hash.update(readFileSync(join(dir, 'vocab.bpe')));
  return hash.digest();
}

const pad4 = (n: number) => (n + 3) & ~3;

export function encodeVocabCache({ vocab, pairs }: CompiledVocab, sourceHash: Buffer): Buffer {
  const tokenBytes = vocab.tokens.reduce((n, t) => n + t.length, 0);
  const specials = Buffer.from(JSON.stringify([...vocab.specials]));
  const size =
    HEADER +
    4 * (vocab.tokens.length + 1) +
    pad4(tokenBytes) +
    4 * vocab.rankToId.length +
    8 * vocab.merges.length +
    4 * pairs.length +
    specials.length;
  const out = Buffer.alloc(size);
  out.write(MAGIC, 0, 'latin1');
  let at = 8;
  const u32 = (v: number) => {
    out.writeUInt32LE(v, at);
    at += 4;
  };
  u32(VERSION);
  sourceHash.copy(out, at);
  at += 32;
  [
    vocab.tokens.length,
    tokenBytes,
    vocab.rankToId.length,
    vocab.merges.length,
    pairs.length,
    specials.length,
  ].forEach(u32);
  let offset = 0;
  u32(0);
  for (const t of vocab.tokens) u32((offset += t.length));
  for (const t of vocab.tokens) {
    out.set(t, at);
    at += t.length;
  }
  at = pad4(at);
  for (const id of vocab.rankToId) u32(id);
  for (const [a, b] of vocab.merges) {
    u32(a);
    u32(b);
  }
  for (const p of pairs) u32(p >>> 0);
  specials.copy(out, at);
  return out;
}

// The compiled vocabulary in `bytes`, or null when they are not a cache of this version made from
// files with this hash.
export function decodeVocabCache(bytes: Buffer, sourceHash: Buffer): CompiledVocab | null {
  if (bytes.length < HEADER || bytes.toString('latin1', 0, 8) !== MAGIC) return null;
  if (bytes.readUInt32LE(8) !== VERSION || !bytes.subarray(12, 44).equals(sourceHash)) return null;
  const [nTokens, nBytes, nRanks, nMerges, nPairs, nSpecials] = Array.from({ length: 6 }, (_, i) =>
    bytes.readUInt32LE(44 + 4 * i),
  );
  const size = HEADER + 4 * (nTokens + 1) + pad4(nBytes) + 4 * nRanks + 8 * nMerges + 4 * nPairs + nSpecials;
  if (size !== bytes.length) return null;
  // The sections are typed-array views: of the file's own buffer when it is 4-byte aligned (a file
  // this size is read into a buffer of its own), else of an aligned copy.
  let buffer = bytes.buffer;
  let base = bytes.byteOffset;
  if (base % 4 !== 0) {
    buffer = new ArrayBuffer(bytes.length);
    new Uint8Array(buffer).set(bytes);
    base = 0;
  }
  let at = HEADER;
  const ints = (n: number) => {
    const view = new Int32Array(buffer, base + at, n);
    at += 4 * n;
    return view;
  };
  const offsets = ints(nTokens + 1);
  const flat = new Uint8Array(buffer, base + at, nBytes);
  at += pad4(nBytes);
  const tokens = Array.from({ length: nTokens }, (_, id) => flat.subarray(offsets[id], offsets[id + 1]));
  const rankToId = ints(nRanks);
  const mergeInts = ints(2 * nMerges);
  const pairs = ints(nPairs);
  // Our own file, but a reader checks what it indexes with.
  if (offsets[0] !== 0 || offsets[nTokens] !== nBytes) return null;
  for (let i = 0; i < nTokens; i++) if (offsets[i] > offsets[i + 1]) return null;
  for (const id of rankToId) if (id < 0 || id >= nTokens) return null;
  for (const r of mergeInts) if (r < 0 || r >= nRanks) return null;
  for (let i = 1; i < nPairs; i += 2) if (pairs[i] < 0 || pairs[i] >= nRanks) return null;
  let specials: Map<string, number>;
  try {
    specials = new Map(JSON.parse(bytes.toString('utf8', at)) as Array<[string, number]>);
  } catch {
    return null;
  }
  // The merges as pairs only when asked (saving a vocabulary): 50,000 small arrays at every start
  // would be garbage for the collector.
  let merges: Array<[number, number]> | null = null;
  const vocab: BPEVocab = {
    tokens,
    rankToId,
    get merges() {
      merges ??= Array.from({ length: nMerges }, (_, i): [number, number] => [
        mergeInts[2 * i],
        mergeInts[2 * i + 1],
      ]);
      return merges;
    },
    specials,
  };
  return { vocab, pairs };
}

// The cache file for a vocabulary directory, if it is there and current.
export function readVocabCache(file: string, dir: string): CompiledVocab | null {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return null;
  }
  return decodeVocabCache(bytes, vocabSourceHash(dir));
}

// Writes the cache through a temporary name, so that a reader never sees half a file.
export function writeVocabCache(file: string, dir: string, compiled: CompiledVocab): void {
  const temp = `${file}.tmp-${process.pid}`;
  writeFileSync(temp, encodeVocabCache(compiled, vocabSourceHash(dir)));
  renameSync(temp, file);
}
