// Backend selection: the native addon when it loads, the TypeScript reference otherwise.
// LLM_SCRATCH_BACKEND=ts forces the reference; =native demands the addon.
import type { Kernels } from './kernels.js';
import { loadNative, nativeLoadError, type NativeKernels } from './native.js';
import { tsKernels } from './ts/index.js';

export type BackendName = 'ts' | 'native';

let current: Kernels | null = null;
let warned = false;

function choose(): Kernels {
  const wanted = process.env.LLM_SCRATCH_BACKEND;
  if (wanted === 'ts') return tsKernels;
  const native = loadNative();
  if (native) return native;
  if (wanted === 'native') {
    throw new Error(`LLM_SCRATCH_BACKEND=native, but the native addon is not built: ${nativeLoadError()}`);
  }
  if (!warned) {
    warned = true;
    process.stderr.write(
      `llm-scratch: native kernels not available (${nativeLoadError()}); using the TypeScript backend. Run \`npm run build:native\` to build them.\n`,
    );
  }
  return tsKernels;
}

export function kernels(): Kernels {
  if (!current) current = choose();
  return current;
}

// Switches the backend for the rest of the process (tests run every kernel on both).
export function useBackend(name: BackendName): Kernels {
  if (name === 'ts') {
    current = tsKernels;
  } else {
    const native = loadNative();
    if (!native) throw new Error(`the native backend is not built: ${nativeLoadError()}`);
    current = native;
  }
  return current;
}

// The native kernels when they are the backend in use (their probes and memory advice), else null.
export function nativeInUse(): NativeKernels | null {
  return kernels().name === 'native' ? loadNative() : null;
}

export function availableBackends(): BackendName[] {
  return loadNative() ? ['ts', 'native'] : ['ts'];
}

export type { Kernels } from './kernels.js';

// Forgets a useBackend() choice: the next kernels() call chooses again from the environment.
export function resetBackend(): void {
  current = null;
}
