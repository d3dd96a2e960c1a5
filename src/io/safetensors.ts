// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
// naming each tensor's dtype, shape and byte range, then the raw little-endian data.
// The reader validates as strictly as the reference implementation (header bound, known dtypes,
// shape x dtype size = byte range, ranges inside the file, contiguous and non-overlapping) before
// it allocates anything, and reads one tensor at a time, so a bad file is one clear error and a
// large file is never held twice. F16 and BF16 are widened to float32.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { UserError } from '../errors.js';
import { Tensor } from '../tensor/index.js';
import { writeFileAtomic } from './atomic.js';

// The reference implementation refuses headers over 100 MB.
const MAX_HEADER_BYTES = 100_000_000;

const DTYPE_BYTES = { F32: 4, F16: 2, BF16: 2, I32: 4 } as const;
type DType = keyof typeof DTYPE_BYTES;

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

function fail(file: string, problem: string): never {
  throw new UserError(`${file}: not a valid safetensors file: ${problem}`);
}

function readExactly(fd: number, length: number, position: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? buf : buf.subarray(0, done);
}

export function parseHeader(file: string, fd: number, fileSize: number): SafetensorsHeader {
  if (fileSize < 8) fail(file, `the file is ${fileSize} bytes, shorter than the 8-byte header length`);
  const headerLength = Number(readExactly(fd, 8, 0).readBigUInt64LE(0));
  if (headerLength > MAX_HEADER_BYTES)
    fail(file, `header length ${headerLength} exceeds ${MAX_HEADER_BYTES} bytes`);
  if (8 + headerLength > fileSize)
    fail(file, `header length ${headerLength} runs past the end of the file (truncated?)`);
  let json: unknown;
  try {
    json = JSON.parse(readExactly(fd, headerLength, 8).toString('utf8'));
  } catch {
    fail(file, 'the header is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    fail(file, 'the header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataSize = fileSize - dataStart;
  const tensors = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = raw as Record<string, string>;
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof info !== 'object' || info === null) fail(file, `tensor '${name}' has no description`);
    const dtype = info.dtype as DType;
    if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) {
      fail(
        file,
        `tensor '${name}' has dtype ${String(info.dtype)}; supported: ${Object.keys(DTYPE_BYTES).join(', ')}`,
      );
    }
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(file, `tensor '${name}' has an invalid shape ${JSON.stringify(shape)}`);
    }
    const offsets = info.data_offsets;
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
    ) {
      fail(file, `tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    const expected = (shape as number[]).reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
    if (end < begin || end - begin !== expected) {
      fail(
        file,
        `tensor '${name}' of shape [${shape.join(', ')}] ${dtype} needs ${expected} bytes, but its range is ${end - begin}`,
      );
    }
    if (end > dataSize)
      fail(file, `tensor '${name}' ends at byte ${end}, past the data (${dataSize} bytes; truncated?)`);
    tensors.set(name, { dtype, shape: shape as number[], begin, end });
  }
  // The ranges must tile the data without gaps or overlaps.
  const sorted = [...tensors.entries()].sort((a, b) => a[1].begin - b[1].begin);
  let at = 0;
  for (const [name, e] of sorted) {
    if (e.begin !== at)
      fail(file, `tensor '${name}' starts at byte ${e.begin}, expected ${at} (overlap or gap)`);
    at = e.end;
  }
  return { tensors, metadata, dataStart };
}

function decode(bytes: Buffer, dtype: DType): Float32Array | Int32Array {
  const n = bytes.length / DTYPE_BYTES[dtype];
  if (dtype === 'F32' || dtype === 'I32') {
    // Copy into an aligned buffer of our own (the read buffer may be unaligned or pooled).
    const out = dtype === 'F32' ? new Float32Array(n) : new Int32Array(n);
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  const out = new Float32Array(n);
  const bits = new Uint32Array(out.buffer);
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

// Reads a whole file (every tensor, or only those named in `only`).
export function readSafetensors(file: string, only?: (name: string) => boolean): SafetensorsFile {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new UserError(
      `${file}: cannot open (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  try {
    const header = parseHeader(file, fd, fstatSync(fd).size);
    const tensors = new Map<string, Tensor>();
    for (const [name, e] of header.tensors) {
      if (only && !only(name)) continue;
      const bytes = readExactly(fd, e.end - e.begin, header.dataStart + e.begin);
      tensors.set(name, new Tensor(decode(bytes, e.dtype), e.shape));
    }
    return { metadata: header.metadata, tensors };
  } finally {
    closeSync(fd);
  }
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
    const bytes = t.data.byteLength;
    header[name] = {
      dtype: t.dtype === 'int32' ? 'I32' : 'F32',
      shape: t.shape,
      data_offsets: [offset, offset + bytes],
    };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const lengthBytes = Buffer.alloc(8);
  lengthBytes.writeBigUInt64LE(BigInt(headerBytes.length));
  const chunks: Uint8Array[] = [lengthBytes, headerBytes];
  for (const name of names) {
    const t = tensors.get(name)!;
    chunks.push(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  writeFileAtomic(file, chunks);
}
