// End-to-end checks too slow for the default suite (full corpora, long training): npm run test:e2e.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    testTimeout: 600_000,
    pool: 'forks',
  },
});
