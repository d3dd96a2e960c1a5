// End-to-end checks too slow for the default suite (full corpora, long training, installing the
// packed packages): npm run test:e2e.
import { defineConfig } from 'vitest/config';
import { projects, sourceResolve } from './vitest.workspace-projects.js';

export default defineConfig({
  ...sourceResolve,
  test: {
    projects: projects('test/e2e/**/*.e2e.ts'),
    globalSetup: [new URL('test/global-setup.ts', import.meta.url).pathname],
    setupFiles: [new URL('test/setup.ts', import.meta.url).pathname],
    testTimeout: 600_000,
    pool: 'forks',
  },
});
