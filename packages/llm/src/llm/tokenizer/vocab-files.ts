// Reading and writing a byte-level BPE vocabulary in GPT-2's two-file format:
//   encoder.json  {"token": id, ...} with tokens spelled through the byte-to-unicode table
//   vocab.bpe     '#version: 0.2' then one merge per line, 'left right', in rank order
// The reader is as strict as tiktoken's data_gym loader: every merge must name tokens of the encoder,
// every byte must be present, ids must be 0..N-1, and any problem is one line naming the file.
import { join } from 'node:path';
import { UserError } from 'llm-scratch-core/errors';
import { readTextFile } from '../../io/text-file.js';
import { bytesToUnicode, unicodeToBytes } from './byte-unicode.js';

// A vocabulary in memory. Ranks order the merges: byte b has rank b, merge i has rank 256 + i.
export interface BPEVocab {
  // Bytes of every token, by id (special tokens included).
  tokens: Uint8Array[];
  // Id of each rank (0..255 the bytes, then the merges).
  rankToId: Int32Array;
  // The merges in rank order, as pairs of ranks.
  merges: Array<[number, number]>;
  // Special tokens (text -> id): tokens of the encoder that are neither a byte nor made by a merge.
  specials: Map<string, number>;
}

// The largest vocabulary: ids must fit a uint16 shard, and pairs of ranks a 32-bit key.
export const MAX_VOCAB = 65535;

export function parseVocab(
  encoderText: string,
  mergesText: string,
  encoderFile: string,
  mergesFile: string,
): BPEVocab {
  let json: unknown;
  try {
    json = JSON.parse(encoderText);
  } catch (err) {
    throw new UserError(`${encoderFile}: not valid JSON (${(err as Error).message.split('\n')[0]})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new UserError(`${encoderFile}: expected a JSON object of token -> id`);
  }
  const entries = Object.entries(json as Record<string, unknown>);
  if (entries.length > MAX_VOCAB) {
    throw new UserError(`${encoderFile}: ${entries.length} tokens, more than the ${MAX_VOCAB} supported`);
  }
  const inverse = unicodeToBytes();
  const tokens = new Array<Uint8Array>(entries.length);
  const idOf = new Map<string, number>();
  for (const [token, id] of entries) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= entries.length) {
      throw new UserError(
        `${encoderFile}: token ${JSON.stringify(token)} has id ${JSON.stringify(id)}, expected an integer in 0..${entries.length - 1}`,
      );
    }
    if (tokens[id] !== undefined) throw new UserError(`${encoderFile}: id ${id} is used twice`);
    const bytes = new Uint8Array(token.length);
    for (let i = 0; i < token.length; i++) {
      const c = token.charCodeAt(i);
      const b = c < 512 ? inverse[c] : -1;
      if (b < 0) {
        throw new UserError(
          `${encoderFile}: token ${JSON.stringify(token)} (id ${id}) has a character outside GPT-2's byte-to-unicode table`,
        );
      }
      bytes[i] = b;
    }
    tokens[id] = bytes;
    idOf.set(token, id);
  }
  const table = bytesToUnicode();
  const rankToId: number[] = [];
  for (let b = 0; b < 256; b++) {
    const id = idOf.get(table[b]);
    if (id === undefined) {
      throw new UserError(
        `${encoderFile}: byte 0x${b.toString(16).padStart(2, '0')} (${JSON.stringify(table[b])}) is missing`,
      );
    }
    rankToId.push(id);
  }
  const rankOfToken = new Map<string, number>(table.map((ch, b) => [ch, b]));
  const merges: Array<[number, number]> = [];
  const lines = mergesText.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].endsWith('\r') ? lines[n].slice(0, -1) : lines[n];
    if (line === '' || (n === 0 && line.startsWith('#version'))) continue;
    const where = `${mergesFile}:${n + 1}`;
    const parts = line.split(' ');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
      throw new UserError(
        `${where}: expected a merge 'left right', got ${JSON.stringify(line.slice(0, 60))}`,
      );
    }
    const left = rankOfToken.get(parts[0]);
    const right = rankOfToken.get(parts[1]);
    if (left === undefined || right === undefined) {
      const missing = left === undefined ? parts[0] : parts[1];
      throw new UserError(
        `${where}: ${JSON.stringify(missing)} is not a byte or the result of an earlier merge`,
      );
    }
    const merged = parts[0] + parts[1];
    const id = idOf.get(merged);
    if (id === undefined)
      throw new UserError(`${where}: the merge result ${JSON.stringify(merged)} is not in ${encoderFile}`);
    if (rankOfToken.has(merged))
      throw new UserError(`${where}: ${JSON.stringify(merged)} is made by an earlier merge too`);
    rankOfToken.set(merged, 256 + merges.length);
    merges.push([left, right]);
    rankToId.push(id);
  }
  const mergeable = new Set(rankToId);
  const specials = new Map<string, number>();
  const utf8 = new TextDecoder();
  for (const id of idOf.values()) if (!mergeable.has(id)) specials.set(utf8.decode(tokens[id]), id);
  return { tokens, rankToId: Int32Array.from(rankToId), merges, specials };
}

export function readVocab(dir: string): BPEVocab {
  const encoderFile = join(dir, 'encoder.json');
  const mergesFile = join(dir, 'vocab.bpe');
  return parseVocab(readTextFile(encoderFile), readTextFile(mergesFile), encoderFile, mergesFile);
}

// The two files' contents for a vocabulary (what readVocab reads back).
export function formatVocab(vocab: BPEVocab): { encoder: string; merges: string } {
  const table = bytesToUnicode();
  const spell = (bytes: Uint8Array) => Array.from(bytes, (b) => table[b]).join('');
  const encoder: Record<string, number> = {};
  vocab.tokens.forEach((bytes, id) => (encoder[spell(bytes)] = id));
  const rankBytes: Uint8Array[] = Array.from(vocab.rankToId, (id) => vocab.tokens[id]);
  const lines = [
    '#version: 0.2',
    ...vocab.merges.map(([a, b]) => `${spell(rankBytes[a])} ${spell(rankBytes[b])}`),
  ];
  return { encoder: JSON.stringify(encoder), merges: lines.join('\n') + '\n' };
}
