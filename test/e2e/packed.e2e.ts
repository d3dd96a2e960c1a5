// llm-scratch as a user installs it: `npm pack` of llm-scratch and llm-scratch-core (which builds
// them), `npm install --omit=dev` of the two tarballs in an empty project (dependencies from the
// registry, the native addon built by the install script), then the README's library example
// type-checked by tsc against the installed types and run by node. Minutes, hence test:e2e.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CREW_ONLY, readmeExample, REPO_ROOT } from '../packages/readme-example.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'llm-scratch-packed-'));
// A whole node_modules: more than the default 10 s on a busy machine.
afterAll(() => rmSync(dir, { recursive: true, force: true }), 120_000);

// The children must see the packages as a user does: no source condition from the test runner.
const env = { ...process.env, NODE_OPTIONS: '' };

describe('the packed llm-scratch in a scratch project', () => {
  it('installs, type-checks and runs the README example, without the crew', async () => {
    const packs = join(dir, 'packs');
    mkdirSync(packs);
    await run('npm', ['pack', '-w', 'llm-scratch-core', '-w', 'llm-scratch', '--pack-destination', packs], {
      cwd: REPO_ROOT,
      env,
    });
    const tarballs = readdirSync(packs).map((f) => join(packs, f));
    expect(tarballs.map((f) => f.replace(/^.*\//, '')).sort()).toEqual([
      'llm-scratch-0.1.0.tgz',
      'llm-scratch-core-0.1.0.tgz',
    ]);

    const project = join(dir, 'project');
    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'scratch', private: true, type: 'module' }),
    );
    await run('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', ...tarballs], {
      cwd: project,
      env,
    });

    const modules = join(project, 'node_modules');
    expect(CREW_ONLY.filter((name) => existsSync(join(modules, name)))).toEqual([]);
    expect(existsSync(join(modules, 'llm-scratch', 'dist', 'index.d.ts'))).toBe(true);

    writeFileSync(join(project, 'example.ts'), readmeExample());
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          // Node's types from the repository: the example itself needs only `console`.
          types: ['node'],
          typeRoots: [join(REPO_ROOT, 'node_modules', '@types')],
          outDir: 'out',
        },
        files: ['example.ts'],
      }),
    );
    const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    await run(process.execPath, [tsc, '--noEmit', '-p', 'tsconfig.json'], { cwd: project, env });
    await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project, env });
    const { stdout } = await run(process.execPath, ['out/example.js'], { cwd: project, env });
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('[ [ 2, 4 ], [ 6, 8 ] ]');
    expect(lines[1]).toMatch(/^Every effort moves\b/);
    expect(readdirSync(join(project, 'tiny-gpt')).sort()).toEqual(['config.json', 'model.safetensors']);
  });
});
