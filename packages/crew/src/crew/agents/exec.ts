/**
 * Running the programs the crew drives (tmux, git, agents' test commands): always an argument
 * list, never a shell string, asynchronously so that a supervisor or a test never blocks its event
 * loop. A program that cannot start is a user error that names what is really missing: the program
 * (and what to install), or the directory it was to run in.
 */
import { execFile, type ChildProcess, type ExecFileException } from 'node:child_process';
import { statSync } from 'node:fs';
import { UserError } from 'llm-scratch-core/errors';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Written to the program's stdin. */
  input?: string;
  timeoutMs?: number;
}

const INSTALL: Record<string, string> = {
  tmux: 'tmux is not installed or not on PATH: install it (Debian/Ubuntu: sudo apt-get install tmux; macOS: brew install tmux)',
  git: 'git is not installed or not on PATH: install it (Debian/Ubuntu: sudo apt-get install git; macOS: xcode-select --install)',
};

/**
 * Why `cmd` could not start. Node says ENOENT both for a program that is not on PATH and for a
 * working directory that does not exist, so the directory is looked at first.
 */
export function startFailure(cmd: string, err: NodeJS.ErrnoException, cwd?: string): UserError {
  if (cwd !== undefined && (err.code === 'ENOENT' || err.code === 'ENOTDIR')) {
    const dir = statSync(cwd, { throwIfNoEntry: false });
    if (!dir) return new UserError(`${cmd}: cannot run in ${cwd}: no such directory`);
    if (!dir.isDirectory()) return new UserError(`${cmd}: cannot run in ${cwd}: not a directory`);
  }
  if (err.code === 'ENOENT') return new UserError(INSTALL[cmd] ?? `${cmd}: command not found (not on PATH)`);
  return new UserError(`${cmd}: cannot run (${err.code})`);
}

/** Runs to the end; a non-zero exit is returned, not thrown. Only a program that cannot start throws. */
export function run(cmd: string, args: string[], o: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const done = (err: ExecFileException | null, stdout: string, stderr: string) => {
      const e = err as (NodeJS.ErrnoException & { code?: unknown }) | null;
      if (e && typeof e.code === 'string') {
        reject(startFailure(cmd, e, o.cwd));
        return;
      }
      const code = e ? (typeof e.code === 'number' ? e.code : 1) : 0;
      resolve({ code, stdout, stderr });
    };
    const options = {
      cwd: o.cwd,
      env: o.env,
      encoding: 'utf8' as const,
      maxBuffer: 64 * 1024 * 1024,
      timeout: o.timeoutMs ?? 0,
    };
    let child: ChildProcess;
    try {
      child = execFile(cmd, args, options, done);
    } catch (err) {
      // Some failures to start (a working directory that is a file: ENOTDIR) throw instead.
      reject(startFailure(cmd, err as NodeJS.ErrnoException, o.cwd));
      return;
    }
    if (o.input !== undefined) child.stdin?.end(o.input);
    else child.stdin?.end();
  });
}

/** Like run, but a non-zero exit throws a UserError carrying the program's own message. */
export async function runOk(cmd: string, args: string[], o: RunOptions = {}): Promise<string> {
  const r = await run(cmd, args, o);
  if (r.code !== 0)
    throw new UserError(
      `${cmd} ${args.slice(0, 3).join(' ')}: ${r.stderr.trim().split('\n')[0] || `exit code ${r.code}`}`,
    );
  return r.stdout;
}

/** Checks that tmux and git run, so that `up` fails with what to install before doing anything. */
export async function requireTools(tools: ('tmux' | 'git')[], env?: NodeJS.ProcessEnv): Promise<void> {
  for (const t of tools) await run(t, [t === 'tmux' ? '-V' : '--version'], { env });
}
