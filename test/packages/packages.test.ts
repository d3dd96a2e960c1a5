// The workspace's packages as npm sees them: exports that point at real files, imports covered by
// each package's own dependencies, llm-scratch's dependency tree free of the crew's, and the README's
// library example running against the sources. test/e2e/packed.e2e.ts installs the packed tarballs.
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CREW_ONLY, readmeExample, REPO_ROOT } from './readme-example.js';

const run = promisify(execFile);
const PACKAGES = ['core', 'crew', 'llm'];

interface Manifest {
  name: string;
  exports?: Record<string, string | Record<string, string>>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  files?: string[];
}

const manifest = (dir: string): Manifest =>
  JSON.parse(readFileSync(join(REPO_ROOT, dir, 'package.json'), 'utf8')) as Manifest;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ts|tsx|mjs|js)$/.test(f) && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f));
}

// The package a bare specifier names: 'a/b/c' -> 'a', '@s/a/b' -> '@s/a'.
const packageName = (spec: string) =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');
const IMPORT =
  /^(?:import|export)\b[^;'"]*?\bfrom\s+['"]([^'"./][^'"]*)['"]|^import\s+['"]([^'"./][^'"]*)['"]|\b(?:import|require(?:\.resolve)?)\(\s*['"]([^'"./][^'"]*)['"]/gm;

const scratch: string[] = [];
afterAll(() => scratch.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('workspace packages', () => {
  it.each(PACKAGES)('packages/%s: every export names a source and its build beside it', (pkg) => {
    const m = manifest(`packages/${pkg}`);
    for (const [subpath, target] of Object.entries(m.exports ?? {})) {
      if (typeof target === 'string') {
        expect(existsSync(join(REPO_ROOT, 'packages', pkg, target)), `${m.name} ${subpath}`).toBe(true);
        continue;
      }
      const source = target['llm-scratch-source'];
      expect(Object.keys(target), `${m.name} ${subpath}`).toEqual(['llm-scratch-source', 'types', 'default']);
      expect(target.types).toBe(source.replace(/^\.\/src\//, './dist/').replace(/\.ts$/, '.d.ts'));
      expect(target.default).toBe(source.replace(/^\.\/src\//, './dist/').replace(/\.ts$/, '.js'));
      if (!source.includes('*')) expect(existsSync(join(REPO_ROOT, 'packages', pkg, source))).toBe(true);
      expect(m.files).toContain('dist');
    }
  });

  it.each(PACKAGES)('packages/%s imports only its own dependencies', (pkg) => {
    const m = manifest(`packages/${pkg}`);
    const declared = new Set([
      ...Object.keys(m.dependencies ?? {}),
      ...Object.keys(m.peerDependencies ?? {}),
    ]);
    const dirs = ['src', 'bin', 'scripts'].map((d) => join(REPO_ROOT, 'packages', pkg, d)).filter(existsSync);
    const undeclared = new Set<string>();
    for (const file of dirs.flatMap(sourceFiles)) {
      // Development scripts that the package does not ship (its files list) may use dev tools.
      if (file.includes('/scripts/') && !m.files?.some((f) => file.endsWith(f))) continue;
      const code = readFileSync(file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/(^|\s)\/\/.*$/gm, '$1');
      for (const [, from, bare, call] of code.matchAll(IMPORT)) {
        const spec = from ?? bare ?? call;
        const name = packageName(spec);
        if (spec.startsWith('node:') || builtinModules.includes(name) || declared.has(name)) continue;
        undeclared.add(`${name} (${file.slice(REPO_ROOT.length)})`);
      }
    }
    expect([...undeclared]).toEqual([]);
  });

  it("llm-scratch's dependency tree (package-lock.json) holds none of the crew's dependencies", () => {
    const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, Manifest & { link?: boolean; resolved?: string }>;
    };
    // npm's resolution: a dependency of the package at `path` is in its node_modules or an ancestor's.
    const locate = (from: string, name: string): string | null => {
      for (let dir = from; ; dir = dir.replace(/\/?node_modules\/(@[^/]+\/)?[^/]+$/, '')) {
        const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
        if (lock.packages[candidate]) return candidate;
        if (!dir.includes('node_modules'))
          return lock.packages[`node_modules/${name}`] ? `node_modules/${name}` : null;
      }
    };
    const installed = new Set<string>();
    const visit = (path: string) => {
      let entry = lock.packages[path];
      if (entry.link && entry.resolved) entry = lock.packages[(path = entry.resolved)];
      const required = { ...entry.dependencies, ...entry.optionalDependencies };
      for (const peer of Object.keys(entry.peerDependencies ?? {})) {
        if (!entry.peerDependenciesMeta?.[peer]?.optional) required[peer] = entry.peerDependencies![peer];
      }
      for (const name of Object.keys(required)) {
        const at = locate(path, name);
        if (at === null || installed.has(at)) continue;
        installed.add(at);
        visit(at);
      }
    };
    visit('packages/llm');
    const names = new Set([...installed].map((p) => p.replace(/^.*node_modules\//, '')));
    expect(names.size).toBeGreaterThan(50);
    expect(names.has('fastify')).toBe(true);
    expect(CREW_ONLY.filter((n) => names.has(n))).toEqual([]);
  });

  it('nothing is left in the one-package layout and every relative import resolves', async () => {
    const { stdout } = await run(process.execPath, ['tools/workspace-layout.mjs', '--check'], {
      cwd: REPO_ROOT,
    });
    expect(stdout).toBe('');
  });

  it("the README's library example runs against the sources, imported as 'llm-scratch'", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'readme-example-'));
    scratch.push(dir);
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(join(REPO_ROOT, 'packages', 'llm'), join(dir, 'node_modules', 'llm-scratch'));
    writeFileSync(join(dir, 'example.mts'), readmeExample());
    const tsx = new URL('node_modules/tsx/dist/loader.mjs', `file://${REPO_ROOT}`).href;
    const { stdout } = await run(
      process.execPath,
      ['--conditions=llm-scratch-source', '--import', tsx, 'example.mts'],
      { cwd: dir },
    );
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('[ [ 2, 4 ], [ 6, 8 ] ]');
    expect(lines[1]).toMatch(/^Every effort moves\b/);
    expect(readdirSync(join(dir, 'tiny-gpt')).sort()).toEqual(['config.json', 'model.safetensors']);
  });
});
