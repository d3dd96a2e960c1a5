// Pinning this process (every thread) to a set of CPUs, for paired benchmarks: a 1-thread pair
// compares fairly only when both sides run on the same core. On the shared VMs here one vCPU can
// run 20% slower than the other for minutes (another tenant on its core), and the scheduler tends
// to leave each of two processes on its own vCPU, so unpinned pairs measured the cores, not the
// code. Children spawned after pinning inherit the set. Linux only (util-linux's taskset).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

// A kernel CPU list ("0-3,8") as the CPUs it names; null if it is not one.
export function parseCpuList(list: string): number[] | null {
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(list)) return null;
  return list.split(',').flatMap((range) => {
    const [lo, hi = lo] = range.split('-').map(Number);
    return Array.from({ length: Math.max(0, hi - lo + 1) }, (_, i) => lo + i);
  });
}

// The CPUs this process may run on, or null where unknown.
export function allowedCpus(): number[] | null {
  try {
    const line = readFileSync('/proc/self/status', 'utf8').match(/^Cpus_allowed_list:\s*(\S+)/m);
    return line ? parseCpuList(line[1]) : null;
  } catch {
    return null;
  }
}

// Restricts every thread of this process to `cpus`; false where that is not possible.
export function pinProcess(cpus: number[]): boolean {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpus.join(','), String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
