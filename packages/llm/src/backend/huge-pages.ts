// Every decode step streams every weight matrix, and on 4 KiB pages such a stream walks the page
// tables every 4 KiB: the native backend asks for 2 MiB pages under them (LLM_SCRATCH_HUGEPAGES=0
// leaves them on whatever pages they have, to compare). Returns the share of their bytes on 2 MiB
// pages (0 on the TypeScript backend).
import { kernels } from './index.js';
import { loadNative } from './native.js';

export function adviseHugePages(arrays: readonly (Float32Array | Uint16Array)[]): number {
  const native = kernels().name === 'native' ? loadNative() : null;
  if (!native || process.env.LLM_SCRATCH_HUGEPAGES === '0') return 0;
  const total = arrays.reduce((s, a) => s + a.byteLength, 0);
  return total ? arrays.reduce((s, a) => s + native.adviseHugePages(a), 0) / total : 0;
}
