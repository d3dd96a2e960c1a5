// Which processes `down` counts as still working in a worktree: a zombie (ended, never reaped
// because its parent does not wait) is not one of them.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { alive, processesIn } from '../../../src/crew/agents/processes.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/**
 * A `sleep 30` whose child (`sleep 1`, started before the exec) ends and is never reaped. The child
 * must outlive the shell: a `true` there could end before the exec, and the shell reap it (CI saw
 * the pid gone: kill ESRCH).
 */
async function zombieUnderSleep(cwd: string): Promise<{ zombie: number; parent: number }> {
  const sh = spawn('sh', ['-c', 'sleep 1 & echo $!; exec sleep 30'], {
    cwd,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  cleanups.push(() => sh.kill('SIGKILL'));
  const zombie = await new Promise<number>((resolve) =>
    sh.stdout.once('data', (d: Buffer) => resolve(Number(d))),
  );
  return { zombie, parent: sh.pid! };
}

describe.runIf(process.platform === 'linux')('processes in a worktree', () => {
  it('counts a process working there, and not a zombie left by it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crew-procs-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const { zombie, parent } = await zombieUnderSleep(dir);
    // The child ends after a second; then it is a zombie: its pid still exists, and nobody reaps it.
    const until = Date.now() + 10_000;
    while (alive(zombie) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(alive(zombie)).toBe(false);
    expect(() => process.kill(zombie, 0)).not.toThrow();
    expect(alive(parent)).toBe(true);
    const left = processesIn(dir, [zombie]);
    expect(left.map((p) => p.pid)).toEqual([parent]);
  });
});
