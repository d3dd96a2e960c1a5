// Non-differentiable selection over the last axis of a 1-D tensor: top-k and sampling from a
// categorical distribution, for text generation.
import { globalRng, type Rng } from '../random.js';
import { formatShape } from '../shape.js';
import { Tensor } from '../tensor.js';

function vector(op: string, x: Tensor): Float32Array {
  if (x.ndim !== 1) throw new Error(`${op}: expects a 1-D tensor, got shape ${formatShape(x.shape)}`);
  return x.f32(op);
}

// The k largest values in descending order and their indices (ties: lower index first). A min-heap
// of the best k seen so far makes this O(n log k): top-k over a 50,257-token vocabulary per
// generated token must not sort the whole vocabulary.
export function topk(x: Tensor, k: number): { values: Tensor; indices: Tensor } {
  const data = vector('topk', x);
  const n = data.length;
  if (!Number.isInteger(k) || k < 1 || k > n)
    throw new RangeError(`topk: k ${k} is out of range for size ${n}`);
  // "a ranks below b": smaller value, or the same value at a higher index.
  const below = (a: number, b: number) => data[a] < data[b] || (data[a] === data[b] && a > b);
  const heap = new Int32Array(k);
  let size = 0;
  const siftDown = (at: number) => {
    for (;;) {
      const l = 2 * at + 1;
      const r = l + 1;
      let low = at;
      if (l < size && below(heap[l], heap[low])) low = l;
      if (r < size && below(heap[r], heap[low])) low = r;
      if (low === at) return;
      [heap[at], heap[low]] = [heap[low], heap[at]];
      at = low;
    }
  };
  for (let i = 0; i < n; i++) {
    if (size < k) {
      heap[size] = i;
      for (let at = size++; at > 0 && below(heap[at], heap[(at - 1) >> 1]); at = (at - 1) >> 1) {
        [heap[at], heap[(at - 1) >> 1]] = [heap[(at - 1) >> 1], heap[at]];
      }
    } else if (below(heap[0], i)) {
      heap[0] = i;
      siftDown(0);
    }
  }
  const indices = heap.sort((a, b) => (below(a, b) ? 1 : below(b, a) ? -1 : 0));
  return {
    values: new Tensor(
      Float32Array.from(indices, (i) => data[i]),
      [k],
    ),
    indices: new Tensor(indices, [k]),
  };
}

// Draws one index with probability proportional to probs (torch.multinomial with one sample).
export function multinomial(probs: Tensor, rng: Rng = globalRng): number {
  const p = vector('multinomial', probs);
  let total = 0;
  for (let i = 0; i < p.length; i++) total += p[i];
  if (!(total > 0)) throw new Error('multinomial: probabilities must sum to a positive number');
  let u = rng.uniform() * total;
  let last = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] <= 0) continue;
    last = i;
    u -= p[i];
    if (u < 0) return i;
  }
  return last;
}

// Running sums of a 1-D tensor, accumulated in float64.
export function cumsum(x: Tensor): Tensor {
  const data = vector('cumsum', x);
  const out = new Float32Array(data.length);
  let s = 0;
  for (let i = 0; i < data.length; i++) out[i] = s += data[i];
  return new Tensor(out, x.shape);
}
