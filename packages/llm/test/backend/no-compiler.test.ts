// A machine without a C++ compiler: `npm install` must still succeed and the program must run on
// the TypeScript backend, saying so once. Checked on a copy of the package whose compiler is
// /bin/false, so the real addon of this checkout is neither used nor touched.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveModelDir } from '../../src/llm/families/gpt2.js';
import { GPTModel, presetConfig } from '../../src/llm/gpt.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..', '..');

describe('install without a C++ compiler', () => {
  let copy: string;
  beforeAll(() => {
    copy = mkdtempSync(join(tmpdir(), 'llm-scratch-nocxx-'));
    for (const dir of ['scripts', 'src', 'data'])
      cpSync(join(root, dir), join(copy, dir), { recursive: true });
    cpSync(join(root, 'native'), join(copy, 'native'), {
      recursive: true,
      filter: (src) => !src.includes('build'),
    });
    cpSync(join(root, 'package.json'), join(copy, 'package.json'));
    // The workspace root's node_modules: npm hoists the package's dependencies there.
    symlinkSync(join(root, '..', '..', 'node_modules'), join(copy, 'node_modules'));
  });
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it('the install script exits 0 and says the TypeScript backend will run', async () => {
    const env = { ...process.env, CC: '/bin/false', CXX: '/bin/false' };
    const { stderr } = await run(process.execPath, ['scripts/build-native.mjs'], { cwd: copy, env });
    expect(stderr).toContain('the native kernels failed to build');
    expect(stderr).toContain('TypeScript backend');
    expect(existsSync(join(copy, 'native', 'build', 'Release', 'llm_scratch_native.node'))).toBe(false);
  });

  it('the program runs on the TypeScript backend and warns once', async () => {
    const modelDir = join(copy, 'model');
    saveModelDir(modelDir, new GPTModel(presetConfig('gpt2-tiny')));
    const env = { ...process.env, LLM_SCRATCH_BACKEND: '' };
    const args = [
      '--import',
      'tsx',
      'src/cli/llm-scratch.ts',
      'generate',
      '--model',
      modelDir,
      '--ids',
      '1,2,3',
    ];
    const { stdout, stderr } = await run(process.execPath, [...args, '--max-new-tokens', '3', '--json'], {
      cwd: copy,
      env,
    });
    expect(stderr.match(/native kernels not available/g)).toHaveLength(1);
    expect((JSON.parse(stdout) as { newIds: number[] }).newIds).toHaveLength(3);
  });
});
