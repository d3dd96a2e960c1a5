import { defineConfig } from 'vitest/config';
import { projects, sourceResolve } from './vitest.workspace-projects.js';

export default defineConfig({
  ...sourceResolve,
  test: {
    projects: projects('test/**/*.test.ts'),
    globalSetup: [new URL('test/global-setup.ts', import.meta.url).pathname],
    setupFiles: [new URL('test/setup.ts', import.meta.url).pathname],
    testTimeout: 60_000,
    pool: 'forks',
    // Memory tests call gc() to measure what is really still alive.
    poolOptions: { forks: { execArgv: ['--expose-gc'] } },
  },
});
