// The paired benchmarks' wait for a peer's threads to stop running (bench/lib/idle-threads.ts),
// on a real child process that spins until it is stopped.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { threadStates, waitUntilIdle } from '../../bench/lib/idle-threads.js';

const linux = process.platform === 'linux';

describe.skipIf(!linux)('waiting for a process to go idle', () => {
  it('reads the state of every thread of this process', () => {
    const states = threadStates(process.pid);
    expect(states).not.toBeNull();
    // This thread is running while it reads.
    expect(states).toContain('R');
    expect(states!.every((s) => /^[A-Za-z]$/.test(s))).toBe(true);
  });

  it('waits while a thread spins and returns once it stops', async () => {
    const child = spawn(process.execPath, ['-e', "process.stdout.write('spinning\\n'); for (;;);"], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await once(child.stdout, 'data');
      expect(await waitUntilIdle(child.pid!, 200)).toBe(false);
      // A stopped thread (state T) no longer takes a core.
      child.kill('SIGSTOP');
      expect(await waitUntilIdle(child.pid!, 10_000)).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('gives up on a process that does not exist', async () => {
    expect(threadStates(2 ** 30)).toBeNull();
    expect(await waitUntilIdle(2 ** 30, 1000)).toBe(false);
  });
});
