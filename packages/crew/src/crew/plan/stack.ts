/**
 * The project's test command, told from the files its stack leaves in the project's root, so that
 * `init` writes acceptance checks the project can run: package.json (vitest, jest, else npm test),
 * pyproject.toml / setup.py / setup.cfg (pytest), Cargo.toml (cargo test), go.mod (go test), a
 * Makefile (make test). The command is a template: {module} and {module_snake} stand for the
 * module a task or an integration point builds.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Stack {
  /** What was found, for messages: "package.json (vitest)". */
  found: string;
  testCommand: string;
}

function packageJsonStack(dir: string): Stack {
  let pkg: { scripts?: Record<string, string>; dependencies?: object; devDependencies?: object } = {};
  try {
    pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as typeof pkg;
  } catch {
    // An unreadable package.json still says "a Node project": npm test is its runner.
  }
  const deps = { ...pkg.dependencies, ...pkg.devDependencies };
  const script = pkg.scripts?.test ?? '';
  const ext = existsSync(join(dir, 'tsconfig.json')) ? 'ts' : 'js';
  if ('vitest' in deps || /\bvitest\b/.test(script))
    return { found: 'package.json (vitest)', testCommand: `npx vitest run test/{module}.test.${ext}` };
  if ('jest' in deps || /\bjest\b/.test(script))
    return { found: 'package.json (jest)', testCommand: `npx jest test/{module}.test.${ext}` };
  return { found: 'package.json', testCommand: `npm test -- test/{module}.test.${ext}` };
}

const MARKERS: [string[], (dir: string) => Stack][] = [
  [['package.json'], packageJsonStack],
  [
    ['pyproject.toml', 'setup.py', 'setup.cfg'],
    () => ({ found: 'a Python project', testCommand: 'pytest tests/test_{module_snake}.py' }),
  ],
  [['Cargo.toml'], () => ({ found: 'Cargo.toml', testCommand: 'cargo test --test {module_snake}' })],
  [['go.mod'], () => ({ found: 'go.mod', testCommand: 'go test ./{module}/...' })],
  [['Makefile', 'makefile', 'GNUmakefile'], () => ({ found: 'a Makefile', testCommand: 'make test' })],
];

/** The stack of the project in dir, or null when none of the known files is there. */
export function detectStack(dir: string): Stack | null {
  for (const [files, stack] of MARKERS) if (files.some((f) => existsSync(join(dir, f)))) return stack(dir);
  return null;
}

/** What `init` falls back to in a project none of the known files describe (yet): make's convention. */
export const DEFAULT_STACK: Stack = { found: 'no known project file', testCommand: 'make test' };

/** The stack of dir, else DEFAULT_STACK with a warning that says how to name the right command. */
export function stackOrDefault(dir: string): { stack: Stack; warning: string | null } {
  const stack = detectStack(dir);
  if (stack) return { stack, warning: null };
  return {
    stack: DEFAULT_STACK,
    warning: `${dir}: cannot tell how this project runs its tests (no package.json, pyproject.toml, setup.py, Cargo.toml, go.mod or Makefile): the acceptance checks run 'make test'; name the command with --test-command 'CMD' ({module} stands for a task's module) or edit project.test_command and the accept: lines`,
  };
}

/** The test command for one module: the template with {module} and {module_snake} filled in. */
export function testFor(template: string, module: string): string {
  const snake = module.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  return template.replaceAll('{module_snake}', snake).replaceAll('{module}', module);
}
