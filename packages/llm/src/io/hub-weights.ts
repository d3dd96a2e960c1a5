// A model directory's weights in the Hugging Face hub layout, whatever the model: one
// `model.safetensors`, or shards `model-00001-of-0000N.safetensors` listed by
// `model.safetensors.index.json` ({"metadata": {"total_size"}, "weight_map": {tensor: shard}}), as
// transformers' save_pretrained writes them. The index is checked as strictly as the files: every
// shard it names exists, and its weight_map covers exactly the tensors the shards hold, each in the
// shard it names. Tensors are read one at a time (F32, BF16 and F16 widened to float32 as each is
// read), so a model is never held twice in memory.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UserError } from 'llm-scratch-core/errors';
import type { Tensor } from '../tensor/index.js';
import { writeFileAtomic } from 'llm-scratch-core/io/atomic';
import { checkRegularFile, quoteName } from './input-file.js';
import {
  openSafetensors,
  storedBytes,
  type SafetensorsReader,
  type TensorEntry,
  writeSafetensors,
} from './safetensors.js';
import { isJsonObject as isObject } from './json.js';

export const MODEL_FILE = 'model.safetensors';
export const SHARD_INDEX = 'model.safetensors.index.json';
// transformers' default max_shard_size ("5GB", in units of 10^9).
export const DEFAULT_MAX_SHARD_BYTES = 5_000_000_000;
// An index lists a few thousand tensors: a few hundred kilobytes.
const MAX_INDEX_BYTES = 50_000_000;
const SHARD_NAME = /^model-\d{5}-of-\d{5}\.safetensors$/;

export interface HubTensorInfo extends TensorEntry {
  // The file that holds it.
  file: string;
}

export interface HubWeights {
  // The weights' files: model.safetensors, or the shards in name order.
  readonly files: string[];
  readonly tensors: Map<string, HubTensorInfo>;
  // One tensor as float32, read when asked.
  read(name: string): Tensor;
  // One float tensor as bfloat16 bits into out (SafetensorsReader.readBf16).
  readBf16(name: string, out: Uint16Array): void;
  close(): void;
}

// The weight_map of an index, checked: an object of tensor names to shard file names in the same
// directory (a path would reach outside it).
function readShardIndex(dir: string): Map<string, string> {
  const path = join(dir, SHARD_INDEX);
  const bytes = checkRegularFile(path, 'shard index').size;
  if (bytes > MAX_INDEX_BYTES) throw new UserError(`${path}: ${bytes} bytes, too large for a shard index`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8').replace(/^\uFEFF/, ''));
  } catch {
    throw new UserError(`${path}: not valid JSON`);
  }
  if (!isObject(json) || !isObject(json.weight_map))
    throw new UserError(`${path}: expected an object with a 'weight_map' of tensor names to shard files`);
  const map = new Map<string, string>();
  for (const [name, shard] of Object.entries(json.weight_map)) {
    if (typeof shard !== 'string' || shard === '' || shard !== basename(shard) || shard.startsWith('.'))
      throw new UserError(
        `${path}: weight_map gives tensor ${quoteName(name)} the shard ${quoteName(String(JSON.stringify(shard)))}, not a file name in the model directory`,
      );
    map.set(name, shard);
  }
  if (map.size === 0) throw new UserError(`${path}: the weight_map is empty`);
  return map;
}

function openAll(files: string[]): SafetensorsReader[] {
  const readers: SafetensorsReader[] = [];
  try {
    for (const f of files) readers.push(openSafetensors(f));
    return readers;
  } catch (err) {
    for (const r of readers) r.close();
    throw err;
  }
}

function sharded(dir: string): { files: string[]; readers: SafetensorsReader[] } {
  const index = join(dir, SHARD_INDEX);
  const weightMap = readShardIndex(dir);
  const shards = [...new Set(weightMap.values())].sort();
  for (const shard of shards)
    if (!existsSync(join(dir, shard)))
      throw new UserError(`${dir}: shard ${quoteName(shard)} named in ${SHARD_INDEX} is missing`);
  const files = shards.map((s) => join(dir, s));
  const readers = openAll(files);
  try {
    for (const r of readers) {
      const shard = basename(r.file);
      for (const name of r.header.tensors.keys()) {
        const listed = weightMap.get(name);
        if (listed === undefined)
          throw new UserError(
            `${index}: tensor ${quoteName(name)} of shard ${quoteName(shard)} is not in the weight_map`,
          );
        if (listed !== shard)
          throw new UserError(
            `${index}: the weight_map puts tensor ${quoteName(name)} in ${quoteName(listed)}, but it is in ${quoteName(shard)}`,
          );
      }
    }
    for (const [name, shard] of weightMap) {
      const reader = readers[shards.indexOf(shard)];
      if (!reader.header.tensors.has(name))
        throw new UserError(
          `${index}: the weight_map puts tensor ${quoteName(name)} in ${quoteName(shard)}, which does not hold it`,
        );
    }
    return { files, readers };
  } catch (err) {
    for (const r of readers) r.close();
    throw err;
  }
}

// Opens a directory's weights (headers only; tensors are read when asked). The single file wins
// when both layouts are present, as transformers prefers it.
export function openHubWeights(dir: string): HubWeights {
  const single = join(dir, MODEL_FILE);
  const { files, readers } =
    existsSync(single) || !existsSync(join(dir, SHARD_INDEX))
      ? { files: [single], readers: openAll([single]) }
      : sharded(dir);
  const tensors = new Map<string, HubTensorInfo>();
  const owner = new Map<string, SafetensorsReader>();
  for (const r of readers)
    for (const [name, e] of r.header.tensors) {
      tensors.set(name, { ...e, file: r.file });
      owner.set(name, r);
    }
  const readerOf = (name: string) => {
    const r = owner.get(name);
    if (!r) throw new Error(`no tensor ${quoteName(name)} in ${files.join(', ')}`);
    return r;
  };
  return {
    files,
    tensors,
    read(name) {
      return readerOf(name).read(name);
    },
    readBf16(name, out) {
      readerOf(name).readBf16(name, out);
    },
    close() {
      for (const r of readers) r.close();
    },
  };
}

export interface WriteHubOptions {
  // Tensors go to shards of at most this many bytes (a larger tensor gets a shard of its own).
  maxShardBytes?: number;
  metadata?: Record<string, string>;
}

// Writes tensors in the hub layout: one model.safetensors when they fit in one shard, numbered
// shards and an index otherwise; weight files of the other layout left from an earlier save are
// removed, so the directory holds one model. Returns the files written.
export function writeHubWeights(
  dir: string,
  tensors: Map<string, Tensor>,
  options: WriteHubOptions = {},
): string[] {
  const limit = options.maxShardBytes ?? DEFAULT_MAX_SHARD_BYTES;
  const metadata = options.metadata ?? { format: 'pt' };
  const groups: string[][] = [[]];
  let size = 0;
  let total = 0;
  for (const [name, t] of tensors) {
    const bytes = storedBytes(t).bytes.length;
    if (size > 0 && size + bytes > limit) {
      groups.push([]);
      size = 0;
    }
    groups[groups.length - 1].push(name);
    size += bytes;
    total += bytes;
  }
  const stale = readdirSync(dir).filter((f) => f === MODEL_FILE || f === SHARD_INDEX || SHARD_NAME.test(f));
  let written: string[];
  if (groups.length === 1) {
    written = [MODEL_FILE];
    writeSafetensors(join(dir, MODEL_FILE), tensors, metadata);
  } else {
    const n = String(groups.length).padStart(5, '0');
    const weightMap: Record<string, string> = {};
    written = groups.map((names, i) => {
      const shard = `model-${String(i + 1).padStart(5, '0')}-of-${n}.safetensors`;
      writeSafetensors(join(dir, shard), new Map(names.map((k) => [k, tensors.get(k)!])), metadata);
      for (const k of names) weightMap[k] = shard;
      return shard;
    });
    const sortedMap = Object.fromEntries(
      Object.keys(weightMap)
        .sort()
        .map((k) => [k, weightMap[k]]),
    );
    const index = { metadata: { total_size: total }, weight_map: sortedMap };
    writeFileAtomic(join(dir, SHARD_INDEX), [JSON.stringify(index, null, 2) + '\n']);
    written.push(SHARD_INDEX);
  }
  for (const f of stale) if (!written.includes(f)) rmSync(join(dir, f), { force: true });
  return written.map((f) => join(dir, f));
}
