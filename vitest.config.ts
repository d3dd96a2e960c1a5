import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
    // Memory tests call gc() to measure what is really still alive.
    poolOptions: { forks: { execArgv: ['--expose-gc'] } },
  },
});
