// Loads the native addon (native/, built by node-gyp at `npm install`) as a Kernels implementation.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kernels } from './kernels.js';

export interface NativeInfo {
  isa: string;
  threads: number;
}

let loaded: (Kernels & { info(): NativeInfo }) | null | undefined;
let loadError = '';

function addonPath(): string {
  // src/backend or dist/backend: the package root is two levels up either way.
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  return join(root, 'native', 'build', 'Release', 'llm_scratch_native.node');
}

export function loadNative(): (Kernels & { info(): NativeInfo }) | null {
  if (loaded !== undefined) return loaded;
  try {
    const require = createRequire(import.meta.url);
    const addon = require(addonPath()) as Record<string, unknown>;
    if (typeof addon.matmul !== 'function') throw new Error('the addon does not export the kernels yet');
    loaded = { ...(addon as object), name: 'native' } as Kernels & { info(): NativeInfo };
  } catch (err) {
    loadError = err instanceof Error ? err.message.split('\n')[0] : String(err);
    loaded = null;
  }
  return loaded;
}

export function nativeLoadError(): string {
  return loadError;
}
