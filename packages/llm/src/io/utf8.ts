// Bytes that should be UTF-8 text. They decode as before (each bad sequence becomes U+FFFD, as
// Node's 'utf8' does) but never silently: where the bytes are not UTF-8 the reader is told the file
// and the offset of the first bad byte, so that a Latin-1 or UTF-16 file is noticed before it trains
// or tokenizes as replacement characters.
import { isUtf8 } from 'node:buffer';

// Offset of the first byte that does not belong to a well-formed UTF-8 sequence, or -1. Overlong
// forms, surrogates (ED A0..BF) and code points above U+10FFFF are bad, as for TextDecoder.
export function firstBadUtf8Byte(bytes: Uint8Array): number {
  if (isUtf8(bytes)) return -1;
  const n = bytes.length;
  for (let i = 0; i < n;) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = i + k < n ? bytes[i + k] : -1;
      // The first continuation byte has the narrower range; the lead byte is what is bad.
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

// What to say about bytes of `source` that are not UTF-8, or null when they are.
export function utf8Problem(bytes: Uint8Array, source: string): string | null {
  const at = firstBadUtf8Byte(bytes);
  if (at < 0) return null;
  const hex = bytes[at].toString(16).padStart(2, '0');
  return `${source}: not valid UTF-8 (byte 0x${hex} at offset ${at})`;
}

// The text of bytes read from `source`, with a warning line through `warn` when they are not UTF-8.
export function decodeUtf8(bytes: Uint8Array, source: string, warn: (text: string) => void): string {
  const problem = utf8Problem(bytes, source);
  if (problem !== null) warn(`warning: ${problem}; bad bytes read as U+FFFD\n`);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}
