/**
 * Turning an agent's command into something tmux can exec: split into words (words.ts), the
 * program found on PATH or relative to the plan, so that a missing program stops `up` before any
 * session starts, with the agent and the command named.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { UserError } from 'llm-scratch-core/errors';
import { splitWords } from './words.js';

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function findProgram(program: string, dir: string, path: string): string | null {
  if (program.includes('/')) {
    const file = isAbsolute(program) ? program : resolve(dir, program);
    return executable(file) ? file : null;
  }
  for (const d of path.split(delimiter).filter(Boolean)) {
    const file = join(d, program);
    if (executable(file)) return file;
  }
  return null;
}

/** The agent's argument list with its program made absolute (agents run in their own worktrees). */
export function resolveCommand(
  agent: string,
  command: string,
  dir: string,
  env: NodeJS.ProcessEnv,
): string[] {
  const argv = splitWords(command);
  if (argv.length === 0) throw new UserError(`agent '${agent}': empty command`);
  const program = findProgram(argv[0]!, dir, env.PATH ?? '');
  if (!program)
    throw new UserError(
      `agent '${agent}': command '${argv[0]}' not found (${argv[0]!.includes('/') ? `no executable file at ${resolve(dir, argv[0]!)}` : 'not on PATH'}); install it or fix its command in crew.yaml`,
    );
  // `env --` runs a single-word command (tmux.ts): a program named like VAR=value would be read as a variable.
  if (program.includes('='))
    throw new UserError(`agent '${agent}': a program path with '=' cannot be run: ${program}`);
  return [program, ...argv.slice(1)];
}
