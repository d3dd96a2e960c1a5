import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 60_000,
    pool: 'forks',
    // Memory tests call gc() to measure what is really still alive.
    poolOptions: { forks: { execArgv: ['--expose-gc'] } },
  },
});
