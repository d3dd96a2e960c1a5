/**
 * Where the runtime keeps its files: `.crew/` beside crew.yaml (the local tracker's database is
 * there too), ignored by git through the repository's info/exclude. runtime.json records what `up`
 * started (the tmux socket, the base branch, each agent's session, branch, worktree and command),
 * so that status, send, logs, the supervisor and down act on exactly that.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from 'llm-scratch-core/io/atomic';
import { UserError } from 'llm-scratch-core/errors';
import type { Permissions } from './profiles/index.js';

export const COORDINATOR_SESSION = 'llm-coordinator';

export interface RuntimeAgent {
  session: string;
  /** crew/<agent>, or the base branch with --no-worktrees. */
  branch: string;
  /** The directory the agent works in: its worktree, or the repository with --no-worktrees. */
  cwd: string;
  worktree: boolean;
  /** The command as given (crew.yaml or --command), as an argument list with the program resolved. */
  argv: string[];
  /** The profile's name (crew.yaml's program). */
  profile: string;
  /** crew.yaml's permissions; absent in a runtime.json written before they existed: ask. */
  permissions?: Permissions;
  /** Started by `up` and not stopped by `down`: the supervisor brings back such an agent's session if it vanishes. */
  active?: boolean;
}

export interface RuntimeState {
  version: 1;
  /** -L socket name; null: the default tmux server. */
  socket: string | null;
  /** The git repository's top directory. */
  repo: string;
  /** The branch agents branch from and `test --merge` merges into. */
  base: string;
  worktrees: boolean;
  /** The command that runs llm-crew itself (the coordinator's supervisor). */
  self: string[];
  agents: Record<string, RuntimeAgent>;
}

export const crewDir = (dir: string) => join(dir, '.crew');
export const worktreeDir = (dir: string, agent: string) => join(dir, '.crew', 'worktrees', agent);
export const briefFile = (dir: string, agent: string) => join(dir, '.crew', 'briefs', `${agent}.md`);
export const recoveryFile = (dir: string, agent: string) =>
  join(dir, '.crew', 'briefs', `${agent}.recovery.md`);
/** `llm-crew` for the agents' PATH (shim.ts). */
export const shimDir = (dir: string) => join(dir, '.crew', 'bin');
/** Held while `up` starts sessions, so that two `up`s cannot both start the crew. */
export const upLockFile = (dir: string) => join(dir, '.crew', 'up.lock');
export const logFile = (dir: string, agent: string) => join(dir, '.crew', 'logs', `${agent}.log`);
const runtimeFile = (dir: string) => join(dir, '.crew', 'runtime.json');

export function readRuntime(dir: string): RuntimeState | null {
  const file = runtimeFile(dir);
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as RuntimeState;
  } catch (err) {
    throw new UserError(
      `${file}: unreadable (${(err as Error).message}); remove it and run llm-crew up again`,
    );
  }
}

export function requireRuntime(dir: string): RuntimeState {
  const state = readRuntime(dir);
  if (!state)
    throw new UserError(`no crew has been started here (${runtimeFile(dir)} is missing); run llm-crew up`);
  return state;
}

export function writeRuntime(dir: string, state: RuntimeState): void {
  mkdirSync(crewDir(dir), { recursive: true });
  writeFileAtomic(runtimeFile(dir), [JSON.stringify(state, null, 2) + '\n']);
}
