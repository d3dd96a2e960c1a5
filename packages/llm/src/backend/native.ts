// Loads the native addon (native/, built by node-gyp at `npm install`) as a Kernels implementation.
// The addon's functions take exactly the arguments of the Kernels interface and run on the typed
// arrays' own memory; this file only finds the binary, checks that it exports every kernel and
// gives one clear reason when it cannot be used.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KernelName, Kernels } from './kernels.js';

export interface NativeInfo {
  // The instruction set the GEMM micro-kernel and the vector loops were chosen for.
  isa: string;
  threads: number;
  gemmKernel: string;
  // How bf16 weights are multiplied: vdpbf16ps where the CPU has AVX-512 BF16, widened otherwise.
  bf16Dot: string;
  // The micro-kernel of matmulBf16: vdpbf16ps where the CPU has AVX-512 BF16, widened otherwise.
  bf16GemmKernel: string;
  gemmBlocks: { mr: number; nr: number; mc: number; kc: number; nc: number };
  // The one-way latency of a cache line between two worker threads' cores (0: one thread, or not
  // measurable), and what the GEMM's threads do about it: share packed B blocks on cores near each
  // other, pack their own on distant ones (another die, where sharing would cross the dies).
  coreLatencyNs: number;
  gemmThreads: string;
}

export type NativeKernels = Kernels & {
  info(): NativeInfo;
  // Worker threads for the parallel kernels; 0 restores the default (physical cores, or
  // LLM_SCRATCH_THREADS). Returns the count now in effect.
  setThreads(n: number): number;
  // The read bandwidth of this machine in bytes per second: the best of `repeats` passes of a
  // STREAM-like sum over `megabytes` of memory (far beyond the last-level cache), on the
  // kernels' threads, as the decode kernels read their weights; hugePages puts the buffer on 2 MiB
  // pages (where the machine gives them), as adviseHugePages does the weights.
  readBandwidth(megabytes: number, repeats: number, hugePages: boolean): number;
  // The bytes per second of AdamW's memory pattern (three arrays updated in place beside a fourth
  // read, `megabytes` in all): the limit of such a kernel, above the read bandwidth on AMD's chiplets.
  updateBandwidth(megabytes: number, repeats: number): number;
  // Asks for 2 MiB pages under an array that is streamed again and again (the decode weights);
  // returns how many of its bytes are on them.
  adviseHugePages(array: Float32Array | Uint16Array): number;
  // Bytes from the last 64-byte boundary to the array's first element (aligned-arrays.ts).
  misalignment(array: Float32Array | Uint16Array | Uint8Array): number;
  // The float32 FLOP/s that `threads` threads reach running only independent FMA chains in registers
  // with the widest vectors of the chosen ISA (the best of five windows over `ms` milliseconds):
  // the peak that model FLOP utilisation is judged against.
  fmaPeak(threads: number, ms: number): number;
  // Hands freed heap pages back to the system (glibc's malloc_trim); true if any were.
  trimMemory(): boolean;
};

// Every kernel of the interface, checked by the compiler against KernelName in both directions.
const KERNEL_NAMES = {
  matmul: true,
  matmulBf16: true,
  gemv: true,
  gemvMany: true,
  attendCached: true,
  decodeBlock: true,
  decodeStep: true,
  prepareDecodeLayers: true,
  causalAttention: true,
  causalAttentionBackward: true,
  unary: true,
  binary: true,
  where: true,
  affine: true,
  fill: true,
  copyStrided: true,
  reduce: true,
  argReduce: true,
  indexSelect: true,
  indexAdd: true,
  gather: true,
  scatterAdd: true,
  softmax: true,
  softmaxBackward: true,
  layerNorm: true,
  layerNormBackward: true,
  rmsNorm: true,
  rmsNormBackward: true,
  rope: true,
  geluBackward: true,
  crossEntropy: true,
  crossEntropyBackward: true,
  adamw: true,
  sumSquares: true,
} satisfies Record<KernelName, true>;

let loaded: NativeKernels | null | undefined;
let loadError = '';

export function addonPath(): string {
  // src/backend or dist/backend: the package root is two levels up either way.
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  return join(root, 'native', 'build', 'Release', 'llm_scratch_native.node');
}

// libgomp reads its settings when the addon loads it. Its workers spin for 300,000 iterations
// waiting for the next parallel region before they sleep; between two kernels our main thread runs
// JavaScript, and on a busy machine a spinning worker holds a core that another process (or the
// worker's own peers) needed. A short spin keeps a quiet machine's speed. The user's own
// OMP_WAIT_POLICY or GOMP_SPINCOUNT wins.
function tuneOpenMP(env: NodeJS.ProcessEnv): void {
  if (env.OMP_WAIT_POLICY === undefined && env.GOMP_SPINCOUNT === undefined) env.GOMP_SPINCOUNT = '10000';
}

export function loadNative(): NativeKernels | null {
  if (loaded !== undefined) return loaded;
  try {
    tuneOpenMP(process.env);
    const require = createRequire(import.meta.url);
    const addon = require(addonPath()) as Record<string, unknown>;
    const missing = [
      ...Object.keys(KERNEL_NAMES),
      'info',
      'setThreads',
      'readBandwidth',
      'updateBandwidth',
      'adviseHugePages',
      'misalignment',
      'fmaPeak',
      'trimMemory',
    ].filter((name) => typeof addon[name] !== 'function');
    if (missing.length > 0) {
      throw new Error(
        `the addon is out of date (missing ${missing.join(', ')}); run \`npm run build:native\``,
      );
    }
    loaded = { ...(addon as object), name: 'native' } as NativeKernels;
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    loadError = message.includes('Cannot find module') ? `not built (${addonPath()} is missing)` : message;
    loaded = null;
  }
  return loaded;
}

export function nativeLoadError(): string {
  return loadError;
}
