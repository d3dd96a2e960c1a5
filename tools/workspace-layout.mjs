#!/usr/bin/env node
// Moves files from the one-package layout (src/, test/, bench/, native/, data/, ...) into the npm
// workspaces (packages/core, packages/crew, packages/llm) and rewrites the relative import
// specifiers that the move broke. Re-runnable and idempotent: run it after merging a branch that
// added files in the old layout; a file already in place and a specifier that still resolves are
// left alone. See docs/packages.md.
//
//   node tools/workspace-layout.mjs            move (git mv) what is still in the old layout, then rewrite
//   node tools/workspace-layout.mjs --check    exit 1 and list what a run would change, change nothing
//   node tools/workspace-layout.mjs --move-only  only the git mv (a commit of renames alone)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const check = process.argv.includes('--check');
const moveOnly = process.argv.includes('--move-only');

// Old path (a file, or a folder ending in '/') -> new path. First match wins; a path mapped to
// itself stays at the root. Everything of the LLM not named before goes to packages/llm.
export const LAYOUT = [
  // The crew.
  ['src/cli/llm-crew.ts', 'packages/crew/src/cli/llm-crew.ts'],
  ['src/cli/crew/', 'packages/crew/src/cli/crew/'],
  ['src/crew/', 'packages/crew/src/crew/'],
  ['test/crew/', 'packages/crew/test/crew/'],
  ['bin/llm-crew.js', 'packages/crew/bin/llm-crew.js'],
  ['schema/', 'packages/crew/schema/'],
  ['data/crew/', 'packages/crew/data/crew/'],
  ['bench/book.ts', 'packages/crew/bench/book.ts'],
  ['scripts/make-background-words.mjs', 'packages/crew/scripts/make-background-words.mjs'],
  // Code both programs use: llm-scratch-core.
  ['src/errors.ts', 'packages/core/src/errors.ts'],
  ['src/clock.ts', 'packages/core/src/clock.ts'],
  ['src/terminal.ts', 'packages/core/src/terminal.ts'],
  ['src/host-check.ts', 'packages/core/src/host-check.ts'],
  ['src/cli/program.ts', 'packages/core/src/cli/program.ts'],
  ['src/cli/command.ts', 'packages/core/src/cli/command.ts'],
  ['src/cli/file-checks.ts', 'packages/core/src/cli/file-checks.ts'],
  ['src/io/atomic.ts', 'packages/core/src/io/atomic.ts'],
  ['src/chart/', 'packages/core/src/chart/'],
  ['test/terminal.test.ts', 'packages/core/test/terminal.test.ts'],
  // Shared test support, tests of both programs together and repository tools: the root.
  ['test/setup.ts', 'test/setup.ts'],
  ['test/global-setup.ts', 'test/global-setup.ts'],
  ['test/helpers/cli.ts', 'test/helpers/cli.ts'],
  ['test/bad-input/', 'test/bad-input/'],
  ['test/cli/program.test.ts', 'test/cli/program.test.ts'],
  ['test/packages/', 'test/packages/'],
  ['test/e2e/packed.e2e.ts', 'test/e2e/packed.e2e.ts'],
  ['tools/bad-input-table.ts', 'tools/bad-input-table.ts'],
  ['tools/workspace-layout.mjs', 'tools/workspace-layout.mjs'],
  ['scripts/test-any-date.sh', 'scripts/test-any-date.sh'],
  // The LLM.
  ['src/', 'packages/llm/src/'],
  ['test/', 'packages/llm/test/'],
  ['bench/', 'packages/llm/bench/'],
  ['native/', 'packages/llm/native/'],
  ['scripts/', 'packages/llm/scripts/'],
  ['tools/', 'packages/llm/tools/'],
  ['data/', 'packages/llm/data/'],
  ['web/', 'packages/llm/web/'],
  ['bin/llm-scratch.js', 'packages/llm/bin/llm-scratch.js'],
];

// The package whose src/ other packages import by name, and that name.
const CORE_SRC = 'packages/core/src/';
const CORE_NAME = 'llm-scratch-core';

const matches = (path, prefix) => (prefix.endsWith('/') ? path.startsWith(prefix) : path === prefix);

export function newPath(old) {
  const entry = LAYOUT.find(([from]) => matches(old, from));
  return entry ? entry[1] + old.slice(entry[0].length) : old;
}

// Where a file of the new layout was in the old one (the longest new prefix that holds it).
export function oldPath(path) {
  let best = null;
  for (const [from, to] of LAYOUT) {
    if (matches(path, to) && (!best || to.length > best[1].length)) best = [from, to];
  }
  return best ? best[0] + path.slice(best[1].length) : path;
}

const packageOf = (path) => /^packages\/([^/]+)\//.exec(path)?.[1] ?? null;

function git(...args) {
  return execFileSync('git', args, { encoding: 'utf8' });
}

function listFiles() {
  return git('ls-files', '--cached', '--others', '--exclude-standard', '-z').split('\0').filter(Boolean);
}

// What a specifier may name: the path as written, TypeScript's '.js' for a '.ts' file, or a
// bundler's bare name of a module (the web app).
function candidates(path) {
  const out = [path];
  if (path.endsWith('.js')) out.push(path.replace(/\.js$/, '.ts'), path.replace(/\.js$/, '.tsx'));
  if (path.endsWith('.mjs')) out.push(path.replace(/\.mjs$/, '.mts'));
  if (!/\.[a-z]+$/.test(path)) out.push(`${path}.ts`, `${path}.tsx`, `${path}/index.ts`);
  return out;
}

// The file or folder a specifier names, null when nothing is there.
const existing = (path) => candidates(path).find((c) => existsSync(c)) ?? null;

function coreSpecifier(target) {
  return `${CORE_NAME}/${target.slice(CORE_SRC.length).replace(/\.(ts|tsx|js)$/, '')}`;
}

function relativeSpecifier(fromFile, target, written) {
  let rel = relative(dirname(fromFile), target).split('\\').join('/');
  // Keep the extension as the author wrote it ('.js' for a '.ts' file under NodeNext).
  if (written.endsWith('.js') && /\.tsx?$/.test(rel)) rel = rel.replace(/\.tsx?$/, '.js');
  if (written.endsWith('/') && !rel.endsWith('/')) rel += '/';
  return rel.startsWith('.') ? rel : `./${rel}`;
}

// The specifier `written` in `file` (new layout) should have, or null to leave it.
export function rewrite(file, written) {
  const here = posix.normalize(posix.join(posix.dirname(file), written));
  let target = existing(here);
  if (target === null) {
    const before = posix.normalize(posix.join(posix.dirname(oldPath(file)), written));
    // Build outputs (dist/, native/build/) are made in place by each package's build.
    if (/^(dist|native\/build)(\/|$)/.test(before)) return null;
    target =
      candidates(before)
        .map(newPath)
        .find((c) => existsSync(c)) ?? null;
    if (target === null)
      return { unresolved: `${file}: '${written}' resolves in neither layout, left as is` };
  }
  const crossesIntoCore = target.startsWith(CORE_SRC) && !file.startsWith('packages/core/');
  if (crossesIntoCore) return { specifier: coreSpecifier(target) };
  const from = packageOf(file);
  const to = packageOf(target);
  if (from && to && from !== to && file.startsWith(`packages/${from}/src/`)) {
    return {
      problem: `${file}: '${written}' reaches into packages/${to}; packages import each other by name`,
    };
  }
  if (existing(here) === target) return null;
  return { specifier: relativeSpecifier(file, target, written) };
}

const SPECIFIER =
  /(\bfrom\s+|\bimport\s*\(\s*|\bimport\s+|\bvi\.mock\(\s*|\bnew URL\(\s*)(['"])(\.{1,2}\/[^'"]*)\2/g;

function move() {
  const moves = [];
  for (const file of listFiles()) {
    const to = newPath(file);
    if (to !== file && !existsSync(to) && existsSync(file)) moves.push([file, to]);
  }
  const tracked = new Set(git('ls-files', '-z').split('\0'));
  for (const [from, to] of moves) {
    if (check) continue;
    mkdirSync(dirname(to), { recursive: true });
    // A file not yet added to git moves as a plain file.
    if (tracked.has(from)) git('mv', from, to);
    else renameSync(from, to);
  }
  return moves.map(([from, to]) => `move ${from} -> ${to}`);
}

function rewriteAll() {
  const changes = [];
  const problems = [];
  const unresolved = [];
  const changed = [];
  for (const file of listFiles()) {
    if (!/\.(ts|tsx|mts|js|mjs)$/.test(file) || file === 'tools/workspace-layout.mjs') continue;
    if (!existsSync(file) || !statSync(file).isFile()) continue;
    const text = readFileSync(file, 'utf8');
    const out = text.replace(SPECIFIER, (whole, head, quote, written) => {
      const r = rewrite(file, written);
      if (r === null) return whole;
      if (r.problem || r.unresolved) {
        if (r.problem) problems.push(r.problem);
        else unresolved.push(r.unresolved);
        return whole;
      }
      changes.push(`${file}: '${written}' -> '${r.specifier}'`);
      return `${head}${quote}${r.specifier}${quote}`;
    });
    if (out !== text) {
      changed.push(file);
      if (!check) writeFileSync(file, out);
    }
  }
  if (!check && changed.length > 0) {
    // A longer specifier can push a line past the print width.
    execFileSync('npx', ['prettier', '--write', '--log-level', 'warn', ...changed], { stdio: 'inherit' });
  }
  return { changes, problems, unresolved };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const moves = move();
  const none = { changes: [], problems: [], unresolved: [] };
  // --check cannot follow the imports of files it did not move; it reports those once they are moved.
  const report = moveOnly || (check && moves.length > 0) ? none : rewriteAll();
  for (const line of [...moves, ...report.changes]) console.log(line);
  for (const line of report.unresolved) console.error(`note: ${line}`);
  for (const line of report.problems) console.error(`problem: ${line}`);
  if (report.problems.length > 0 || (check && moves.length + report.changes.length > 0)) process.exit(1);
}
