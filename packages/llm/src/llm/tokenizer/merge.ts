// The merge loop of byte-level BPE over one piece: parts (ranks of tokens, at first the bytes 0..255)
// merged lowest rank first, the leftmost pair on a tie, until no adjacent pair makes a token, as
// tiktoken's _byte_pair_merge. Two ways to the same result:
//   mergeShort: scan for the lowest pair, merge, repeat. Quadratic, and the fastest for words.
//   mergeLong: a heap of pairs over a linked list, O(n log n), for the rare long piece (a base64
//   blob, a 100,000-letter "word" sent to the server), where the quadratic loop took a minute.

export const NO_MERGE = 0x7fffffff;

// Rank of the token that the pair makes, or NO_MERGE.
export type PairRank = (left: number, right: number) => number;

// Pieces longer than this (in bytes) go through mergeLong. Below it the scan is as fast or faster.
export const LONG_PIECE = 128;

// Merges parts[0, m) in place (ranks is scratch of the same size); returns the new length.
export function mergeShort(parts: Int32Array, ranks: Int32Array, m: number, pairRank: PairRank): number {
  for (let i = 0; i + 1 < m; i++) ranks[i] = pairRank(parts[i], parts[i + 1]);
  while (m > 1) {
    let best = NO_MERGE;
    let at = -1;
    for (let i = 0; i + 1 < m; i++) {
      if (ranks[i] < best) {
        best = ranks[i];
        at = i;
      }
    }
    if (at < 0) break;
    parts[at] = best;
    parts.copyWithin(at + 1, at + 2, m);
    ranks.copyWithin(at + 1, at + 2, m - 1);
    m--;
    if (at + 1 < m) ranks[at] = pairRank(best, parts[at + 1]);
    if (at > 0) ranks[at - 1] = pairRank(parts[at - 1], best);
  }
  return m;
}

/**
 * The same merges with a binary heap of (rank, position) over a doubly linked list of the parts:
 * the heap's minimum is the lowest rank, and on a tie the smallest original position, which is the
 * leftmost pair in the list. Entries made stale by a merge are skipped when they surface (the
 * current rank of the pair starting at each position is kept in `pairAt`). Returns the new length;
 * `merges` counts the merges done, for the tests that bound the work.
 */
export function mergeLong(
  parts: Int32Array,
  m: number,
  pairRank: PairRank,
  stats?: { merges: number },
): number {
  const next = new Int32Array(m);
  const prev = new Int32Array(m);
  const pairAt = new Int32Array(m).fill(NO_MERGE);
  // Keys rank * 2^32 + position fit a double exactly (ranks < 2^20, positions < 2^32).
  // Room for every entry ever pushed: m - 1 at first, at most two per merge after.
  const heap = new Float64Array(3 * m + 4);
  let size = 0;
  const push = (key: number) => {
    let i = size++;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (heap[up] <= key) break;
      heap[i] = heap[up];
      i = up;
    }
    heap[i] = key;
  };
  const pop = (): number => {
    const top = heap[0];
    const last = heap[--size];
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && heap[child + 1] < heap[child]) child++;
      if (heap[child] >= last) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
    return top;
  };
  const setPair = (at: number) => {
    const right = next[at];
    const rank = right < m ? pairRank(parts[at], parts[right]) : NO_MERGE;
    pairAt[at] = rank;
    if (rank !== NO_MERGE) push(rank * 4294967296 + at);
  };
  for (let i = 0; i < m; i++) {
    next[i] = i + 1;
    prev[i] = i - 1;
  }
  for (let i = 0; i + 1 < m; i++) setPair(i);
  let count = m;
  while (size > 0) {
    const key = pop();
    const at = key % 4294967296;
    const rank = (key - at) / 4294967296;
    if (pairAt[at] !== rank) continue; // stale: the pair changed since this entry was pushed
    const right = next[at];
    parts[at] = rank;
    pairAt[right] = NO_MERGE;
    next[at] = next[right];
    if (next[right] < m) prev[next[right]] = at;
    count--;
    if (stats) stats.merges++;
    setPair(at);
    if (prev[at] >= 0) setPair(prev[at]);
  }
  // Compact the surviving parts, in order, to the front.
  for (let i = 0, k = 0; k < count; i = next[i], k++) parts[k] = parts[i];
  return count;
}
