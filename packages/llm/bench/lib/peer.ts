// Running a Python peer beside our benchmark: Debian's torch at /usr/bin/python3, with the machine's
// OpenBLAS overrides removed so that the peer runs at its strongest (see BENCHMARKS.md).
import { spawnSync } from 'node:child_process';

export const TORCH_PYTHON = '/usr/bin/python3';

export function hasTorch(): boolean {
  return spawnSync(TORCH_PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

// Runs a peer script and returns the JSON objects it printed, one per line.
export function runPeer(script: string, args: string[], threads: number): Record<string, unknown>[] {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OMP_NUM_THREADS: String(threads),
    OPENBLAS_NUM_THREADS: String(threads),
  };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const result = spawnSync(TORCH_PYTHON, [script, ...args], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.status !== 0)
    throw new Error(`${script} failed: ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return result.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
