// Runs the llm-crew CLI as a child process (asynchronously: a test never blocks vitest's worker).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../../src/cli/llm-crew.ts', import.meta.url));
const TSX = new URL('../../../../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

export interface CrewRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCrew(cwd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<CrewRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
