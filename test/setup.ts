// Gives the worker's event loop a turn between tests. Vitest's worker answers its runner over an
// RPC that times out after 60 s; awaiting only resolved promises never reaches the poll phase, so a
// file of long synchronous tests could starve it even when every single test is short.
import { afterEach } from 'vitest';

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
