// A seeded pseudo-random generator (xoshiro128**, seeded through splitmix32), so that runs are
// reproducible and its state can be saved in a checkpoint and restored.

export interface RngState {
  s: [number, number, number, number];
  // Box-Muller makes normals in pairs; the second waits here.
  spare: number | null;
}

function splitmix32(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Rng {
  private s = new Uint32Array(4);
  private spare: number | null = null;

  constructor(seed = 0) {
    this.seed(seed);
  }

  seed(seed: number): void {
    const next = splitmix32(seed);
    for (let i = 0; i < 4; i++) this.s[i] = next();
    this.spare = null;
  }

  // A uniform 32-bit unsigned integer.
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  // Uniform in [0, 1) with 32 bits of randomness.
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  // Uniform integer in [low, high).
  int(low: number, high: number): number {
    return low + Math.floor(this.uniform() * (high - low));
  }

  // Fisher-Yates shuffle of 0..n-1.
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(0, i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  getState(): RngState {
    return { s: [this.s[0], this.s[1], this.s[2], this.s[3]], spare: this.spare };
  }

  setState(state: RngState): void {
    if (!Array.isArray(state.s) || state.s.length !== 4)
      throw new Error('Rng.setState: expected 4 state words');
    this.s.set(state.s);
    this.spare = state.spare;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

// The process-wide generator behind randn/rand/dropout when none is given (like torch.manual_seed).
export const globalRng = new Rng(0);

export function manualSeed(seed: number): void {
  globalRng.seed(seed);
}
