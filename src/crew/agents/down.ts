/**
 * `llm-crew down`: every session `up` started ends (the coordinator first, so that its supervisor
 * restarts nothing), and on a private socket the server too. No work is lost: branches stay, and a
 * worktree with uncommitted changes is kept and reported; the others are removed unless
 * --keep-worktrees.
 */
import { existsSync } from 'node:fs';
import type { Tracker } from '../tracker/index.js';
import { dirtyFiles, removeWorktree } from './git.js';
import { COORDINATOR_SESSION, requireRuntime, writeRuntime } from './layout.js';
import { Tmux } from './tmux.js';

export interface DownOptions {
  dir: string;
  tracker: Tracker;
  keepWorktrees: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface DownResult {
  stopped: string[];
  /** Worktrees kept because of uncommitted changes: agent, path, files. */
  dirty: { agent: string; worktree: string; files: string[] }[];
  removedWorktrees: string[];
  keptWorktrees: string[];
}

export async function crewDown(o: DownOptions): Promise<DownResult> {
  const state = requireRuntime(o.dir);
  const tmux = new Tmux(state.socket, o.env);
  const stopped: string[] = [];
  if (await tmux.killSession(COORDINATOR_SESSION)) stopped.push(COORDINATOR_SESSION);
  for (const rt of Object.values(state.agents))
    if (await tmux.killSession(rt.session)) stopped.push(rt.session);
  // A private server holding nothing else goes too, so that no tmux process is left behind.
  if (state.socket && (await tmux.sessions()).length === 0) await tmux.killServer();

  const result: DownResult = { stopped, dirty: [], removedWorktrees: [], keptWorktrees: [] };
  for (const [agent, rt] of Object.entries(state.agents)) {
    if (!rt.worktree || !existsSync(rt.cwd)) continue;
    const files = await dirtyFiles(rt.cwd);
    if (files.length > 0) result.dirty.push({ agent, worktree: rt.cwd, files });
    if (files.length > 0 || o.keepWorktrees) result.keptWorktrees.push(rt.cwd);
    else {
      await removeWorktree(state.repo, rt.cwd);
      result.removedWorktrees.push(rt.cwd);
    }
  }
  // The base and agents' branches stay in runtime.json for `test` and `merge`; sessions are gone.
  writeRuntime(o.dir, state);
  await o.tracker.addEvent({
    agent: null,
    kind: 'down',
    message: `down: ${stopped.length} sessions stopped, ${result.dirty.length} worktrees with uncommitted changes kept`,
    data: { ...result },
  });
  return result;
}
