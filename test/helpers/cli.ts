// Runs a CLI program in-process and captures what it prints, as a user would see it.
import type { Program } from 'llm-scratch-core/cli/program';
import { runProgram } from 'llm-scratch-core/cli/program';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(program: Program, argv: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runProgram(program, argv, {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
  });
  return { code, stdout, stderr };
}
