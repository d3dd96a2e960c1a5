// Waiting until another process's threads have stopped running, for paired benchmarks. OpenBLAS's
// idle workers spin for 2^28 time-stamp-counter ticks after each product before they sleep: 140 ms
// on the machines here, longer where the counter runs slower. A run of ours started while they
// spin would share the cores with them, so rather than trust a fixed pause the bench waits until
// /proc shows them asleep. Linux only; elsewhere the wait returns at once.
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

// The state letter of each thread of process `pid` (R running or runnable, S sleeping, ...), or
// null where /proc cannot say (another system, or the process is gone).
export function threadStates(pid: number): string[] | null {
  try {
    return readdirSync(`/proc/${pid}/task`).map((tid) => {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // "tid (comm) S ...": the command may itself hold parentheses, the state follows the last.
      return stat.charAt(stat.lastIndexOf(')') + 2);
    });
  } catch {
    return null;
  }
}

// Resolves true once no thread of `pid` is running at two polls in a row, false if that has not
// happened within timeoutMs (or /proc cannot say).
export async function waitUntilIdle(pid: number, timeoutMs: number, pollMs = 5): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  let quietPolls = 0;
  for (;;) {
    const states = threadStates(pid);
    if (!states) return false;
    quietPolls = states.includes('R') ? 0 : quietPolls + 1;
    if (quietPolls >= 2) return true;
    if (performance.now() > deadline) return false;
    await sleep(pollMs);
  }
}
