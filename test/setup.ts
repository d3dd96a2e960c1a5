// Gives the worker's event loop a turn between tests. Vitest's worker answers its runner over an
// RPC that times out after 60 s; awaiting only resolved promises never reaches the poll phase, so a
// file of long synchronous tests could starve it even when every single test is short.
import { afterEach } from 'vitest';

// Each package's tests run in its own directory (vitest.workspace-projects.ts).
if (process.env.LLM_SCRATCH_TEST_DIR) process.chdir(process.env.LLM_SCRATCH_TEST_DIR);

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));

// No test may depend on today's date: the project's clock (src/clock.ts) starts every test file at
// the same instant, and child processes that the tests start inherit it through LLM_SCRATCH_NOW.
export const TEST_EPOCH = '2026-11-25T12:00:00.000Z';
process.env.LLM_SCRATCH_NOW = TEST_EPOCH;
const { setClock } = await import('llm-scratch-core/clock');
const offset = Date.parse(TEST_EPOCH) - Date.now();
setClock(() => new Date(Date.now() + offset));
