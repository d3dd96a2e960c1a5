// rmsNorm, rmsNormBackward and rope on every available backend, against float64 sums written here
// (independent of both backends), on awkward sizes and the threaded path; rope's transpose checked
// as the adjoint of the forward and as the inverse rotation.
import { describe, expect, it } from 'vitest';
import { availableBackends, useBackend, type BackendName } from '../../src/backend/index.js';
import type { Kernels } from '../../src/backend/kernels.js';
import { nativeLoadError } from '../../src/backend/native.js';
import { mulberry32, uniformArray as randn } from '../helpers/random.js';

const SIZES = [1, 3, 8, 33, 128, 769];

function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
  what: string,
) {
  expect(actual.length, `${what} length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++)
    if (!(Math.abs(actual[i] - expected[i]) <= rtol * Math.abs(expected[i]) + atol))
      expect.fail(`${what}[${i}]: got ${actual[i]}, expected ${expected[i]}`);
}

// y = x / sqrt(mean(x^2) + eps) * w and its gradients, in float64.
function rmsNormF64(
  x: Float32Array,
  scale: Float32Array,
  dy: Float32Array,
  rows: number,
  cols: number,
  eps: number,
  offset: number,
) {
  const y = new Float64Array(rows * cols);
  const dx = new Float64Array(rows * cols);
  const dscale = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const row = (j: number) => x[r * cols + j];
    let sq = 0;
    for (let j = 0; j < cols; j++) sq += row(j) * row(j);
    const rs = 1 / Math.sqrt(sq / cols + eps);
    let gx = 0;
    for (let j = 0; j < cols; j++) gx += dy[r * cols + j] * (scale[j] + offset) * row(j);
    for (let j = 0; j < cols; j++) {
      const w = scale[j] + offset;
      y[r * cols + j] = row(j) * rs * w;
      dx[r * cols + j] = rs * dy[r * cols + j] * w - row(j) * rs * rs * rs * (gx / cols);
      dscale[j] += dy[r * cols + j] * row(j) * rs;
    }
  }
  return { y, dx, dscale };
}

// Angle tables of `positions` rows, each angle repeated in both halves (as RotaryEmbedding builds them).
function tables(positions: number, hs: number) {
  const cos = new Float32Array(positions * hs);
  const sin = new Float32Array(positions * hs);
  for (let p = 0; p < positions; p++)
    for (let j = 0; j < hs / 2; j++) {
      const angle = p / 10000 ** ((2 * j) / hs);
      for (const at of [p * hs + j, p * hs + hs / 2 + j]) {
        cos[at] = Math.cos(angle);
        sin[at] = Math.sin(angle);
      }
    }
  return { cos, sin };
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

for (const name of ['ts', 'native'] as BackendName[]) {
  const missing = !availableBackends().includes(name);
  const title = missing
    ? `${name} rmsNorm and rope (skipped: ${nativeLoadError()})`
    : `${name} rmsNorm and rope`;
  describe.skipIf(missing)(title, () => {
    const k = (): Kernels => useBackend(name);

    it('rmsNorm and its backward, plain and with (1 + scale), against float64', () => {
      for (const cols of SIZES)
        for (const unitOffset of [false, true]) {
          const rows = 5;
          const x = randn(rows * cols, cols, -3, 5);
          const scale = randn(cols, 1, -1.5, 1.5);
          const dy = randn(rows * cols, 2);
          const want = rmsNormF64(x, scale, dy, rows, cols, 1e-6, unitOffset ? 1 : 0);
          const out = new Float32Array(rows * cols);
          const rstd = new Float32Array(rows);
          k().rmsNorm(x, scale, rows, cols, 1e-6, unitOffset, out, rstd);
          expectClose(out, want.y, 1e-5, 1e-6, `rmsNorm cols=${cols} unitOffset=${unitOffset}`);
          const dx = new Float32Array(rows * cols);
          const dscale = new Float32Array(cols).fill(0.25);
          k().rmsNormBackward(x, scale, rstd, dy, rows, cols, unitOffset, dx, dscale);
          expectClose(dx, want.dx, 1e-4, 1e-5, `rmsNormBackward dx cols=${cols}`);
          // Accumulated onto what the buffer held.
          expectClose(
            dscale,
            Array.from(want.dscale, (v) => v + 0.25),
            1e-4,
            1e-5,
            `dscale cols=${cols}`,
          );
        }
    });

    it('rmsNorm over many rows (the threaded path), and eps on a zero row', () => {
      const rows = 511;
      const cols = 769;
      const x = randn(rows * cols, 7);
      x.fill(0, 0, cols);
      const scale = randn(cols, 8);
      const dy = randn(rows * cols, 9);
      const want = rmsNormF64(x, scale, dy, rows, cols, 1e-5, 0);
      const out = new Float32Array(rows * cols);
      const rstd = new Float32Array(rows);
      k().rmsNorm(x, scale, rows, cols, 1e-5, false, out, rstd);
      expectClose(out, want.y, 1e-5, 1e-6, 'rmsNorm');
      expect(rstd[0]).toBeCloseTo(1 / Math.sqrt(1e-5), 0);
      const dx = new Float32Array(rows * cols);
      const dscale = new Float32Array(cols);
      k().rmsNormBackward(x, scale, rstd, dy, rows, cols, false, dx, dscale);
      expectClose(dx, want.dx, 1e-4, 1e-5, 'dx');
      // dscale sums 511 rows in float32.
      expectClose(dscale, want.dscale, 1e-4, 1e-4, 'dscale');
    });

    it('rope rotates each pair of channels by its row of the tables', () => {
      for (const hs of [2, 8, 64, 128]) {
        const rows = 37;
        const { cos, sin } = tables(50, hs);
        const r = mulberry32(hs);
        const angleRow = Int32Array.from({ length: rows }, () => Math.floor(r() * 50));
        const x = randn(rows * hs, hs + 1);
        const out = new Float32Array(rows * hs);
        k().rope(x, cos, sin, angleRow, rows, hs, out, false);
        const half = hs / 2;
        const want = new Float64Array(rows * hs);
        for (let i = 0; i < rows; i++)
          for (let j = 0; j < half; j++) {
            const [x1, x2] = [x[i * hs + j], x[i * hs + half + j]];
            const a = angleRow[i] * hs + j;
            want[i * hs + j] = x1 * cos[a] - x2 * sin[a];
            want[i * hs + half + j] = x2 * cos[a + half] + x1 * sin[a + half];
          }
        expectClose(out, want, 1e-5, 1e-6, `rope hs=${hs}`);
        // The transpose is the adjoint: <rope(x), g> = <x, ropeT(g)>; with these tables, the inverse.
        const g = randn(rows * hs, hs + 2);
        const back = new Float32Array(rows * hs);
        k().rope(g, cos, sin, angleRow, rows, hs, back, true);
        expect(dot(out, g)).toBeCloseTo(dot(x, back), 3);
        const undone = new Float32Array(rows * hs);
        k().rope(out, cos, sin, angleRow, rows, hs, undone, true);
        expectClose(undone, x, 1e-4, 1e-5, `rope inverse hs=${hs}`);
      }
    });

    if (name === 'native')
      it('rope refuses an odd head size, an angle row outside the tables and an output over its input', () => {
        const { cos, sin } = tables(4, 8);
        const x = randn(16, 1);
        const rows = new Int32Array([0, 3]);
        expect(() => k().rope(x, cos, sin, rows, 2, 7, new Float32Array(16), false)).toThrow(
          /hs must be even/,
        );
        expect(() =>
          k().rope(x, cos, sin, new Int32Array([0, 4]), 2, 8, new Float32Array(16), false),
        ).toThrow(/angleRow\[1\] = 4 is outside cos \(4 rows\)/);
        expect(() => k().rope(x, cos, sin, rows, 2, 8, x, false)).toThrow(/out must not overlap x/);
      });
  });
}
