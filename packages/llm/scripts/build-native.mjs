#!/usr/bin/env node
// Builds the native kernels (native/) with node-gyp during `npm install`.
// A failed build never fails the install: the TypeScript backend takes over and the
// program says so once at run time. `--force` (npm run build:native) fails loudly instead.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
const force = process.argv.includes('--force');

if (process.env.LLM_SCRATCH_SKIP_NATIVE === '1' && !force) {
  console.error('llm-scratch: LLM_SCRATCH_SKIP_NATIVE=1, native kernels not built');
  process.exit(0);
}

function nodeGypScript() {
  // npm exports the path of its bundled node-gyp to lifecycle scripts.
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return fromNpm;
  const require = createRequire(import.meta.url);
  for (const candidate of ['node-gyp/bin/node-gyp.js', 'npm/node_modules/node-gyp/bin/node-gyp.js']) {
    try {
      return require.resolve(candidate);
    } catch {
      // try the next place
    }
  }
  const npmDir = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm');
  const bundled = join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  return existsSync(bundled) ? bundled : null;
}

const gyp = nodeGypScript();
if (!gyp) {
  console.error('llm-scratch: node-gyp not found; native kernels not built, using the TypeScript backend');
  process.exit(force ? 1 : 0);
}
const result = spawnSync(process.execPath, [gyp, 'rebuild', '--release'], {
  cwd: nativeDir,
  stdio: force ? 'inherit' : ['ignore', 'pipe', 'pipe'],
  encoding: 'utf8',
});
if (result.status !== 0) {
  if (!force) {
    const tail = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    console.error(tail);
    console.error(
      'llm-scratch: the native kernels failed to build (see above); llm-scratch will run on the slower TypeScript backend. Install a C++ toolchain and run `npm run build:native` to retry.',
    );
  }
  process.exit(force ? 1 : 0);
}
