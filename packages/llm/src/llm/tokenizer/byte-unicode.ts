// GPT-2's byte-to-unicode table (encoder.py's bytes_to_unicode) and the UTF-8 helpers the byte-level
// BPE needs. The table maps each of the 256 byte values to a printable character so that a vocabulary
// of byte strings can live in a JSON file: printable Latin-1 bytes map to themselves, the other 68
// bytes (control characters, space, 0x7f-0xa0, 0xad) to U+0100 onwards, in byte order.

export function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table = new Array<string>(256);
  for (const b of printable) table[b] = String.fromCharCode(b);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (table[b] === undefined) table[b] = String.fromCharCode(256 + n++);
  }
  return table;
}

// The inverse of bytesToUnicode: character code -> byte, -1 where a character is not in the table.
export function unicodeToBytes(): Int16Array {
  const inverse = new Int16Array(512).fill(-1);
  bytesToUnicode().forEach((ch, b) => (inverse[ch.charCodeAt(0)] = b));
  return inverse;
}

// Writes the UTF-8 bytes of text[start, end) into out (which must hold 3 bytes per code unit) and
// returns the byte count. A lone surrogate becomes U+FFFD (EF BF BD), as TextEncoder does: that is
// what tiktoken's WASM build receives for such a string.
export function utf8Encode(text: string, start: number, end: number, out: Uint8Array): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out[n++] = c;
    } else if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 63);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < end ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        out[n++] = 0xf0 | (c >> 18);
        out[n++] = 0x80 | ((c >> 12) & 63);
        out[n++] = 0x80 | ((c >> 6) & 63);
        out[n++] = 0x80 | (c & 63);
      } else {
        out[n++] = 0xef;
        out[n++] = 0xbf;
        out[n++] = 0xbd;
      }
    } else {
      out[n++] = 0xe0 | (c >> 12);
      out[n++] = 0x80 | ((c >> 6) & 63);
      out[n++] = 0x80 | (c & 63);
    }
  }
  return n;
}
