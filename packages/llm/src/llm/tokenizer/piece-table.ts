// A hash table from pieces of text to their token ids, probed with a range of the input text so that
// the encoder never allocates a string for a piece it has seen before. (Slicing every piece and
// looking it up in a Map cost 3/4 of the encoder's time: V8 allocates each slice, then hashes it.)
//
// Each slot is one 32-byte record in an Int32Array, so that a lookup of a common word touches one
// cache line: [hash, value, length, 8 UTF-16 units packed two per int, offset of longer keys' units
// in `chars`]. Open addressing with linear probing; hash 0 marks an empty slot. A value is one id
// (>= 0) or ~offset of a run in `pool` stored as [count, id, id, ...]. The vocabulary's whole-piece
// tokens are inserted first and kept; pieces added later are a cache, dropped all at once when the
// table is half full, which bounds memory on text with endless unique strings (hashes, base64).

const RECORD = 8;
const INLINE = 8;

export class PieceTable {
  private records: Int32Array;
  private chars = new Uint16Array(1 << 16);
  private charsUsed = 0;
  private pool = new Int32Array(1 << 16);
  private poolUsed = 0;
  private count = 0;
  private readonly mask: number;
  private readonly limit: number;
  private base: { records: Int32Array; charsUsed: number; poolUsed: number; count: number } | null = null;

  // Room for 2^(capacityBits - 1) entries.
  constructor(capacityBits: number) {
    this.mask = (1 << capacityBits) - 1;
    this.limit = 1 << (capacityBits - 1);
    this.records = new Int32Array(RECORD << capacityBits);
  }

  // FNV-1a over the UTF-16 code units of text[start, end), never 0.
  static hash(text: string, start: number, end: number): number {
    let h = 0x811c9dc5 | 0;
    for (let k = start; k < end; k++) h = Math.imul(h ^ text.charCodeAt(k), 0x01000193);
    return h ^ (h >>> 15) || 1;
  }

  // The record offset of text[start, end), or ~offset of the empty record where it would go.
  find(text: string, start: number, end: number, h: number): number {
    const { records, mask } = this;
    const length = end - start;
    let slot = h & mask;
    for (;;) {
      const r = slot * RECORD;
      const stored = records[r];
      if (stored === 0) return ~r;
      if (stored === h && records[r + 2] === length) {
        let k = 0;
        if (length <= INLINE) {
          for (; k < length; k++) {
            const unit = (records[r + 3 + (k >> 1)] >>> ((k & 1) << 4)) & 0xffff;
            if (unit !== text.charCodeAt(start + k)) break;
          }
        } else {
          const { chars } = this;
          const at = records[r + 7];
          while (k < length && chars[at + k] === text.charCodeAt(start + k)) k++;
        }
        if (k === length) return r;
      }
      slot = (slot + 1) & mask;
    }
  }

  value(record: number): number {
    return this.records[record + 1];
  }

  // The ids of a value that is a run: runs[~value] is the count, the ids follow.
  get runs(): Int32Array {
    return this.pool;
  }

  // Inserts text[start, end) at the empty record ~missing (from find); false when the table is full.
  insert(
    missing: number,
    text: string,
    start: number,
    end: number,
    h: number,
    ids: ArrayLike<number>,
  ): boolean {
    if (this.count >= this.limit) return false;
    const r = ~missing;
    const { records } = this;
    const length = end - start;
    records[r] = h;
    records[r + 2] = length;
    if (length <= INLINE) {
      for (let k = 0; k < length; k++)
        records[r + 3 + (k >> 1)] |= text.charCodeAt(start + k) << ((k & 1) << 4);
    } else {
      this.chars = grow(this.chars, this.charsUsed + length);
      records[r + 7] = this.charsUsed;
      for (let k = 0; k < length; k++) this.chars[this.charsUsed++] = text.charCodeAt(start + k);
    }
    if (ids.length === 1) {
      records[r + 1] = ids[0];
    } else {
      this.pool = grow(this.pool, this.poolUsed + ids.length + 1);
      records[r + 1] = ~this.poolUsed;
      this.pool[this.poolUsed++] = ids.length;
      for (let k = 0; k < ids.length; k++) this.pool[this.poolUsed++] = ids[k];
    }
    this.count++;
    return true;
  }

  // Marks the entries so far as permanent: reset() comes back to them.
  freeze(): void {
    this.base = {
      records: this.records.slice(),
      charsUsed: this.charsUsed,
      poolUsed: this.poolUsed,
      count: this.count,
    };
  }

  // Drops every entry added after freeze().
  reset(): void {
    const base = this.base!;
    this.records.set(base.records);
    this.charsUsed = base.charsUsed;
    this.poolUsed = base.poolUsed;
    this.count = base.count;
  }
}

function grow<T extends Uint16Array | Int32Array>(array: T, needed: number): T {
  if (needed <= array.length) return array;
  const grown = new (array.constructor as new (n: number) => T)(Math.max(needed, 2 * array.length));
  grown.set(array);
  return grown;
}
