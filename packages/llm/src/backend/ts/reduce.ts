// Reductions, index selection and gathers over an (outer, size, inner) view.
import type { ArgReduceOp, F32, I32, ReduceOp } from '../kernels.js';

export function reduce(op: ReduceOp, x: F32, outer: number, size: number, inner: number, out: F32): void {
  for (let o = 0; o < outer; o++) {
    const base = o * size * inner;
    for (let i = 0; i < inner; i++) {
      let acc = op === 'sum' ? 0 : x[base + i];
      if (op === 'sum') {
        for (let s = 0; s < size; s++) acc += x[base + s * inner + i];
      } else if (op === 'max') {
        for (let s = 1; s < size; s++) {
          const v = x[base + s * inner + i];
          if (v > acc || Number.isNaN(v)) acc = v;
        }
      } else {
        for (let s = 1; s < size; s++) {
          const v = x[base + s * inner + i];
          if (v < acc || Number.isNaN(v)) acc = v;
        }
      }
      out[o * inner + i] = acc;
    }
  }
}

export function argReduce(
  op: ArgReduceOp,
  x: F32,
  outer: number,
  size: number,
  inner: number,
  out: I32,
): void {
  const wantMax = op === 'argmax';
  for (let o = 0; o < outer; o++) {
    const base = o * size * inner;
    for (let i = 0; i < inner; i++) {
      let best = x[base + i];
      let at = 0;
      for (let s = 1; s < size; s++) {
        const v = x[base + s * inner + i];
        // The first occurrence wins ties, as in PyTorch.
        if (wantMax ? v > best : v < best) {
          best = v;
          at = s;
        }
      }
      out[o * inner + i] = at;
    }
  }
}

export function indexSelect(x: F32, outer: number, size: number, inner: number, idx: I32, out: F32): void {
  const count = idx.length;
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < count; r++) {
      const src = (o * size + idx[r]) * inner;
      out.set(x.subarray(src, src + inner), (o * count + r) * inner);
    }
  }
}

export function indexAdd(dy: F32, outer: number, size: number, inner: number, idx: I32, dx: F32): void {
  const count = idx.length;
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < count; r++) {
      const dst = (o * size + idx[r]) * inner;
      const src = (o * count + r) * inner;
      for (let i = 0; i < inner; i++) dx[dst + i] += dy[src + i];
    }
  }
}

export function gather(
  x: F32,
  outer: number,
  size: number,
  inner: number,
  idx: I32,
  idxSize: number,
  out: F32,
): void {
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < idxSize; r++) {
      const at = (o * idxSize + r) * inner;
      for (let i = 0; i < inner; i++) out[at + i] = x[(o * size + idx[at + i]) * inner + i];
    }
  }
}

export function scatterAdd(
  dy: F32,
  outer: number,
  size: number,
  inner: number,
  idx: I32,
  idxSize: number,
  dx: F32,
): void {
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < idxSize; r++) {
      const at = (o * idxSize + r) * inner;
      for (let i = 0; i < inner; i++) dx[(o * size + idx[at + i]) * inner + i] += dy[at + i];
    }
  }
}
