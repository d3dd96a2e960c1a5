// Where a step's time goes: wraps every kernel of the active backend with a timer, GEMMs keyed by
// their shape, and reports totals beside the step time (the rest is JavaScript: the tape, shapes,
// allocation). Used by `npm run bench:train` (the GEMM share of every run, the table with --profile).
import type { Kernels, MatmulParams } from '../../src/backend/kernels.js';

export interface KernelTotals {
  // Milliseconds per step in all kernels, and in the GEMM kernel alone.
  kernelMs: number;
  gemmMs: number;
}

export interface KernelProfile {
  report(stepSeconds: number, steps: number): string;
  totals(steps: number): KernelTotals;
}

export function profileKernels(k: Kernels): KernelProfile {
  const totals = new Map<string, { ms: number; calls: number; flops: number }>();
  const record = (key: string, ms: number, flops: number) => {
    const t = totals.get(key) ?? { ms: 0, calls: 0, flops: 0 };
    t.ms += ms;
    t.calls += 1;
    t.flops += flops;
    totals.set(key, t);
  };
  const target = k as unknown as Record<string, unknown>;
  for (const name of Object.keys(target)) {
    const fn = target[name];
    if (typeof fn !== 'function' || name === 'setThreads' || name === 'info') continue;
    target[name] = (...args: unknown[]) => {
      const t0 = performance.now();
      const out = (fn as (...a: unknown[]) => unknown).apply(k, args);
      const ms = performance.now() - t0;
      if (name === 'matmul') {
        const p = args[0] as MatmulParams;
        const ops = `${p.transA ? 'T' : 'N'}${p.transB ? 'T' : 'N'}`;
        record(`gemm ${p.batch}x(${p.m},${p.k},${p.n}) ${ops}`, ms, 2 * p.batch * p.m * p.k * p.n);
      } else {
        record(typeof args[0] === 'string' ? `${name} ${args[0]}` : name, ms, 0);
      }
      return out;
    };
  }
  const perStep = (steps: number, keep: (key: string) => boolean) =>
    [...totals.entries()].filter(([key]) => keep(key)).reduce((sum, [, t]) => sum + t.ms, 0) / steps;
  return {
    totals: (steps) => ({
      kernelMs: perStep(steps, () => true),
      gemmMs: perStep(steps, (key) => key.startsWith('gemm ')),
    }),
    report(stepSeconds, steps) {
      const rows = [...totals.entries()].sort((a, b) => b[1].ms - a[1].ms);
      const kernelMs = rows.reduce((s, [, t]) => s + t.ms, 0) / steps;
      const lines = [`per step: ${(stepSeconds * 1000).toFixed(1)} ms, kernels ${kernelMs.toFixed(1)} ms`];
      for (const [key, t] of rows.slice(0, 25)) {
        const gflops = t.flops > 0 ? `${(t.flops / (t.ms / 1000) / 1e9).toFixed(1)} GFLOPS` : '';
        lines.push(
          `${(t.ms / steps).toFixed(2).padStart(9)} ms ${String(t.calls / steps).padStart(5)} calls  ${key.padEnd(40)} ${gflops}`,
        );
      }
      return lines.join('\n');
    },
  };
}
