/**
 * Processes working in a directory, so that `down` never removes a worktree from under a program
 * that still runs there (an agent that outlived its session, one in a session this crew did not
 * start, a shell cd'd into it). Read from Linux's /proc: each process's cwd link. Where there is no
 * /proc, the agents' own pane processes are all that is looked at.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { sep } from 'node:path';

export interface DirProcess {
  pid: number;
  command: string;
}

/**
 * Whether a process runs (EPERM: it runs, as another user). A zombie does not: it has ended and
 * waits for its parent to reap it, which may never come when tmux's server (its parent) is gone and
 * the container's init does not reap orphans.
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !ended(pid);
}

/** Linux's state letter in /proc/PID/stat (after the command's closing parenthesis): Z zombie, X dead. */
function ended(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false; // no /proc: kill(0) is all there is to go on
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state === 'Z' || state === 'X';
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '?';
  }
}

/** Live processes (this one aside) whose working directory is `dir` or below it, and the `also` pids still alive. */
export function processesIn(dir: string, also: number[] = []): DirProcess[] {
  const found = new Map<number, DirProcess>();
  for (const pid of also) if (pid !== process.pid && alive(pid)) found.set(pid, { pid, command: '?' });
  if (existsSync('/proc/self/cwd'))
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const pid = Number(name);
      if (pid === process.pid) continue;
      let cwd: string;
      try {
        cwd = readlinkSync(`/proc/${name}/cwd`);
      } catch {
        continue; // gone, or another user's
      }
      if (cwd === dir || cwd.startsWith(dir + sep)) found.set(pid, { pid, command: '' });
    }
  return [...found.values()].map((p) => ({ pid: p.pid, command: commandOf(p.pid) }));
}

/** Waits up to `timeoutMs` for the processes in `dir` to end (a killed session's take a moment); returns those left. */
export async function processesLeftIn(dir: string, also: number[], timeoutMs: number): Promise<DirProcess[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const left = processesIn(dir, also);
    if (left.length === 0 || Date.now() >= end) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}
