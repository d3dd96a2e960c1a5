// Runs a block of tests once per available backend (the TypeScript reference, and the native addon
// when it is built), switching the process-wide backend around the block.
import { afterAll, beforeAll, describe } from 'vitest';
import { availableBackends, resetBackend, useBackend, type BackendName } from '../../src/backend/index.js';

export function describeEachBackend(title: string, body: (backend: BackendName) => void): void {
  for (const backend of availableBackends()) {
    describe(`${title} [${backend}]`, () => {
      beforeAll(() => void useBackend(backend));
      afterAll(() => resetBackend());
      body(backend);
    });
  }
}
