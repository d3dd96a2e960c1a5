// The test projects of the workspace, one per package plus the root's tests of both programs
// together. Each runs in its package's directory, as its tests did when it was the whole repository
// (paths such as 'data/configs' and 'src/cli/llm-scratch.ts' are relative to it).
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defaultServerConditions } from 'vite';

// Packages import each other's TypeScript sources, not their builds: the first condition of each
// exports map. Child processes that the tests start (node --import tsx ...) get it through NODE_OPTIONS.
export const SOURCE_CONDITION = 'llm-scratch-source';

const at = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export const sourceResolve = {
  resolve: { conditions: [SOURCE_CONDITION, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [SOURCE_CONDITION, ...defaultServerConditions] } },
};

const nodeOptions = [process.env.NODE_OPTIONS, `--conditions=${SOURCE_CONDITION}`].filter(Boolean).join(' ');

export function projects(include: string) {
  return [
    ['core', 'packages/core/'],
    ['crew', 'packages/crew/'],
    ['llm', 'packages/llm/'],
    ['root', './'],
  ].map(([name, dir]) => ({
    extends: true as const,
    test: {
      name,
      root: at(dir),
      include: [include],
      env: { NODE_OPTIONS: nodeOptions, LLM_SCRATCH_TEST_DIR: at(dir) },
    },
  }));
}
