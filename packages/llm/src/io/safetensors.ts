// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
// naming each tensor's dtype, shape and byte range, then the raw little-endian data.
// The reader validates as strictly as the reference implementation (huggingface/safetensors'
// `SafeTensors::read_metadata`): the header length bounded by 100 MB and by the file, the header
// UTF-8 JSON starting with '{', `__metadata__` a map of strings, known dtypes, byte range = dtype
// size x shape, and the ranges tiling the data exactly: from byte 0, no gap, no overlap and nothing
// after the last tensor (a header length off by a few bytes would otherwise load shifted weights).
// All of it is checked before any tensor is allocated, and tensors are read one at a time, so a bad
// file is one clear error and a large file is never held twice. F16 and BF16 are widened to float32
// (read), or float tensors read as bf16 bits (readBf16); a weight kept in bf16 is written as BF16.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { UserError } from 'llm-scratch-core/errors';
import { alignedF32 } from '../backend/aligned-arrays.js';
import { toBf16 } from '../backend/bf16.js';
import { bf16Bits } from '../tensor/bf16-weights.js';
import { sizeOf, Tensor } from '../tensor/index.js';
import { writeFileAtomic } from 'llm-scratch-core/io/atomic';
import { checkRegularFile, quoteName } from './input-file.js';
import { isJsonObject as isObject } from './json.js';

// The reference implementation refuses headers over 100 MB.
const MAX_HEADER_BYTES = 100_000_000;

// Every dtype the reference knows, with its size; a file may hold any of them, and the caller
// decides which it can take (decode() widens the float ones we compute with).
export const DTYPE_BYTES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
} as const;
export type DType = keyof typeof DTYPE_BYTES;
const READABLE: readonly DType[] = ['F32', 'F16', 'BF16', 'I32'];
export const FLOAT_DTYPES: readonly DType[] = ['F32', 'F16', 'BF16'];

export interface TensorEntry {
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string>;
  dataStart: number;
}

// Where the bytes come from: an open file, or a buffer already in memory.
interface ByteSource {
  size: number;
  read(length: number, position: number): Buffer;
}

function fail(file: string, problem: string): never {
  throw new UserError(`${file}: not a valid safetensors file: ${problem}`);
}

function fileSource(file: string, fd: number, size: number): ByteSource {
  return {
    size,
    read(length, position) {
      const buf = Buffer.allocUnsafe(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, buf, done, length - done, position + done);
        if (n === 0) break;
        done += n;
      }
      // The size was checked against fstat; a file that shrinks while we read is refused, not padded.
      if (done !== length) throw new UserError(`${file}: the file shrank while it was read`);
      return buf;
    },
  };
}

function bufferSource(bytes: Uint8Array): ByteSource {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { size: buf.length, read: (length, position) => buf.subarray(position, position + length) };
}

function readTensorEntry(file: string, name: string, raw: unknown): TensorEntry {
  const t = `tensor ${quoteName(name)}`;
  if (!isObject(raw)) fail(file, `${t} is not an object with dtype, shape and data_offsets`);
  const dtype = raw.dtype;
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype))
    fail(file, `${t} has an unknown dtype ${quoteName(String(JSON.stringify(dtype)))}`);
  const shape = raw.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
    fail(file, `${t} has an invalid shape ${quoteName(String(JSON.stringify(shape)))}`);
  const offsets = raw.data_offsets;
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offsets[0] > offsets[1]
  )
    fail(file, `${t} has invalid data_offsets ${quoteName(String(JSON.stringify(offsets)))}`);
  const [begin, end] = offsets as [number, number];
  // In BigInt: a forged shape's product can pass 2^53, where float arithmetic would round.
  const expected =
    (shape as number[]).reduce((a, d) => a * BigInt(d), 1n) * BigInt(DTYPE_BYTES[dtype as DType]);
  if (BigInt(end - begin) !== expected)
    fail(
      file,
      `${t} of shape [${shape.join(', ')}] ${dtype} needs ${expected} bytes, but its data_offsets [${begin}, ${end}] hold ${end - begin}`,
    );
  return { dtype: dtype as DType, shape: shape as number[], begin, end };
}

export function parseHeader(file: string, source: ByteSource): SafetensorsHeader {
  const fileSize = source.size;
  if (fileSize === 0) fail(file, 'the file is empty');
  if (fileSize < 8) fail(file, `the file is ${fileSize} bytes, shorter than the 8-byte header length`);
  const length = source.read(8, 0).readBigUInt64LE(0);
  if (length > BigInt(MAX_HEADER_BYTES))
    fail(file, `header length ${length} exceeds ${MAX_HEADER_BYTES} bytes (the reference's limit)`);
  const headerLength = Number(length);
  if (8 + headerLength > fileSize)
    fail(file, `header length ${headerLength} runs past the end of the ${fileSize}-byte file (truncated?)`);
  const bytes = source.read(headerLength, 8);
  if (bytes[0] !== 0x7b)
    fail(file, `the header does not start with '{' (wrong header length or not safetensors)`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    fail(file, err instanceof TypeError ? 'the header is not valid UTF-8' : 'the header is not valid JSON');
  }
  if (!isObject(json)) fail(file, 'the header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataSize = fileSize - dataStart;
  const tensors = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (!isObject(raw) || !Object.values(raw).every((v) => typeof v === 'string'))
        fail(file, '__metadata__ must map names to strings');
      metadata = raw as Record<string, string>;
      continue;
    }
    tensors.set(name, readTensorEntry(file, name, raw));
  }
  // The ranges must tile the data exactly: from byte 0, without gaps or overlaps, to the file's end.
  const sorted = [...tensors.entries()].sort((a, b) => a[1].begin - b[1].begin || a[1].end - b[1].end);
  let at = 0;
  for (const [name, e] of sorted) {
    if (e.begin !== at) {
      const why = e.begin < at ? 'overlaps the tensor before it' : 'leaves a gap after the tensor before it';
      fail(file, `tensor ${quoteName(name)} starts at byte ${e.begin}, expected ${at} (it ${why})`);
    }
    at = e.end;
  }
  if (at > dataSize)
    fail(
      file,
      `the tensors need ${at} bytes of data, the file holds ${dataSize} after the header (truncated?)`,
    );
  if (at < dataSize)
    fail(
      file,
      `${dataSize - at} bytes after the last tensor (the data is ${dataSize} bytes, the tensors ${at}): wrong header length or trailing garbage`,
    );
  return { tensors, metadata, dataStart };
}

function decode(bytes: Buffer, dtype: DType): Float32Array | Int32Array {
  const n = bytes.length / DTYPE_BYTES[dtype];
  if (dtype === 'F32' || dtype === 'I32') {
    // Copy into an aligned buffer of our own (the read buffer may be unaligned or pooled).
    const out = dtype === 'F32' ? alignedF32(n) : new Int32Array(n);
    new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(bytes);
    return out;
  }
  const out = alignedF32(n);
  const bits = new Uint32Array(out.buffer, out.byteOffset, n);
  for (let i = 0; i < n; i++) {
    const h = bytes.readUInt16LE(2 * i);
    bits[i] = dtype === 'BF16' ? h << 16 : halfToFloatBits(h);
  }
  return out;
}

// IEEE half -> single precision bits, subnormals included.
function halfToFloatBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  let exp = (h >> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  if (exp === 0) {
    if (mant === 0) return sign >>> 0;
    exp = 1;
    while ((mant & 0x400) === 0) {
      mant <<= 1;
      exp--;
    }
    mant &= 0x3ff;
  }
  return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
}

export interface SafetensorsFile {
  metadata: Record<string, string>;
  tensors: Map<string, Tensor>;
}

function readTensors(file: string, source: ByteSource, only?: (name: string) => boolean): SafetensorsFile {
  const header = parseHeader(file, source);
  const tensors = new Map<string, Tensor>();
  for (const [name, e] of header.tensors) {
    if (only && !only(name)) continue;
    if (!READABLE.includes(e.dtype))
      throw new UserError(
        `${file}: tensor ${quoteName(name)} is ${e.dtype}; this reader takes ${READABLE.join(', ')}`,
      );
    const bytes = source.read(e.end - e.begin, header.dataStart + e.begin);
    tensors.set(name, new Tensor(decode(bytes, e.dtype), e.shape));
  }
  return { metadata: header.metadata, tensors };
}

// Opens a weights file for positioned reads; the caller closes fd.
function openWeights(file: string): { fd: number; source: ByteSource } {
  checkRegularFile(file, 'weights');
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new UserError(
      `cannot read weights ${file}: ${(err as NodeJS.ErrnoException).code ?? 'open failed'}`,
    );
  }
  try {
    return { fd, source: fileSource(file, fd, fstatSync(fd).size) };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

function withFile<R>(file: string, use: (source: ByteSource) => R): R {
  const { fd, source } = openWeights(file);
  try {
    return use(source);
  } finally {
    closeSync(fd);
  }
}

// An open file whose tensors are read one at a time (and widened to float32), so that loading a
// model holds one tensor of the file at a time beside the model, never the whole file.
export interface SafetensorsReader {
  readonly file: string;
  readonly header: SafetensorsHeader;
  read(name: string): Tensor;
  // A float tensor as bfloat16 bits into `out` (its size): BF16 bytes as stored, F32 and F16
  // rounded to nearest even. Nothing the size of the tensor in float32 is made for BF16.
  readBf16(name: string, out: Uint16Array): void;
  close(): void;
}

export function openSafetensors(file: string): SafetensorsReader {
  const { fd, source } = openWeights(file);
  try {
    const header = parseHeader(file, source);
    const entry = (name: string, readable: readonly DType[]) => {
      const e = header.tensors.get(name);
      if (!e) throw new Error(`${file}: no tensor ${quoteName(name)}`);
      if (!readable.includes(e.dtype))
        throw new UserError(
          `${file}: tensor ${quoteName(name)} is ${e.dtype}; this reader takes ${readable.join(', ')}`,
        );
      return e;
    };
    return {
      file,
      header,
      read(name) {
        const e = entry(name, READABLE);
        return new Tensor(decode(source.read(e.end - e.begin, header.dataStart + e.begin), e.dtype), e.shape);
      },
      readBf16(name, out) {
        const e = entry(name, FLOAT_DTYPES);
        if (out.length !== sizeOf(e.shape))
          throw new Error(
            `${file}: tensor ${quoteName(name)} has ${sizeOf(e.shape)} values, not ${out.length}`,
          );
        const bytes = source.read(e.end - e.begin, header.dataStart + e.begin);
        if (e.dtype === 'BF16') new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(bytes);
        else toBf16(decode(bytes, e.dtype) as Float32Array, out);
      },
      close: () => closeSync(fd),
    };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

// The header of a file alone (names, dtypes, shapes), for checks before any tensor is read.
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  return withFile(file, (source) => parseHeader(file, source));
}

// Reads a whole file (every tensor, or only those named in `only`).
export function readSafetensors(file: string, only?: (name: string) => boolean): SafetensorsFile {
  return withFile(file, (source) => readTensors(file, source, only));
}

// The same from bytes in memory; `name` stands for the file in messages.
export function parseSafetensors(bytes: Uint8Array, name = '<buffer>'): SafetensorsFile {
  return readTensors(name, bufferSource(bytes));
}

// Writes float32 (and int32) tensors in name order, atomically.
export function writeSafetensors(
  file: string,
  tensors: Map<string, Tensor>,
  metadata: Record<string, string> = {},
): void {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const names = [...tensors.keys()].sort();
  for (const name of names) {
    const t = tensors.get(name)!;
    const { dtype, bytes } = storedBytes(t);
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const lengthBytes = Buffer.alloc(8);
  lengthBytes.writeBigUInt64LE(BigInt(headerBytes.length));
  const chunks: Uint8Array[] = [lengthBytes, headerBytes];
  for (const name of names) chunks.push(storedBytes(tensors.get(name)!).bytes);
  writeFileAtomic(file, chunks);
}

// What a tensor is written as: F32 or I32 as it holds them, BF16 for a weight kept in bf16 only
// (tensor/bf16-weights.ts), as transformers saves a bf16 model.
export function storedBytes(t: Tensor): { dtype: DType; bytes: Uint8Array } {
  const bits = bf16Bits(t);
  const data = bits ?? t.data;
  return {
    dtype: bits ? 'BF16' : t.dtype === 'int32' ? 'I32' : 'F32',
    bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}
