/**
 * `llm-crew down`: every session `up` started ends (the coordinator first, so that its supervisor
 * restarts nothing), and on a private socket the server too; the socket is runtime.json's unless
 * --socket names another. No work is lost: branches stay, and a worktree is removed only when it
 * is clean and no process works in it any more; the others are kept and reported (a process still
 * running makes `down` exit 1). A session of an agent's name that this crew did not start is
 * reported and left running.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Tracker } from '../tracker/index.js';
import { dirtyFiles, removeWorktree } from './git.js';
import { COORDINATOR_SESSION, requireRuntime, writeRuntime } from './layout.js';
import { processesLeftIn, type DirProcess } from './processes.js';
import { Tmux } from './tmux.js';

export interface DownOptions {
  dir: string;
  tracker: Tracker;
  keepWorktrees: boolean;
  /** -L socket name; undefined: the one in runtime.json. */
  socket?: string | null;
  env?: NodeJS.ProcessEnv;
  /** How long processes in a worktree get to end after their session is killed. */
  graceMs?: number;
}

export interface DownResult {
  stopped: string[];
  /** Sessions of the crew's names that it did not start: left running. */
  foreign: { agent: string | null; session: string }[];
  /** Worktrees kept because of uncommitted changes: agent, path, files. */
  dirty: { agent: string; worktree: string; files: string[] }[];
  /** Worktrees kept because a process still works in them. */
  running: { agent: string; worktree: string; processes: DirProcess[] }[];
  removedWorktrees: string[];
  keptWorktrees: string[];
}

export async function crewDown(o: DownOptions): Promise<DownResult> {
  const state = requireRuntime(o.dir);
  const tmux = new Tmux(o.socket !== undefined ? o.socket : state.socket, o.env);
  const root = resolve(o.dir);
  // Written first: a supervisor in the middle of a look brings back no session killed below.
  for (const rt of Object.values(state.agents)) rt.active = false;
  writeRuntime(o.dir, state);

  const panes = await tmux.panes();
  const result: DownResult = {
    stopped: [],
    foreign: [],
    dirty: [],
    running: [],
    removedWorktrees: [],
    keptWorktrees: [],
  };
  const panePids = new Map<string, number>();
  const sessions: [string | null, string][] = [
    [null, COORDINATOR_SESSION],
    ...Object.entries(state.agents).map(([a, rt]): [string, string] => [a, rt.session]),
  ];
  for (const [agent, session] of sessions) {
    const pane = panes.find((p) => p.session === session);
    if (!pane) continue;
    if (pane.crewRoot !== root) {
      result.foreign.push({ agent, session });
      continue;
    }
    if (agent && pane.pid && !pane.dead) panePids.set(agent, pane.pid);
    if (await tmux.killSession(session)) result.stopped.push(session);
  }
  // A private server holding nothing else goes too, so that no tmux process is left behind.
  if (tmux.socket && (await tmux.sessions()).length === 0) await tmux.killServer();

  for (const [agent, rt] of Object.entries(state.agents)) {
    if (!rt.worktree || !existsSync(rt.cwd)) continue;
    const pid = panePids.get(agent);
    const processes = await processesLeftIn(rt.cwd, pid ? [pid] : [], o.graceMs ?? 5000);
    const files = await dirtyFiles(rt.cwd);
    if (processes.length > 0) result.running.push({ agent, worktree: rt.cwd, processes });
    if (files.length > 0) result.dirty.push({ agent, worktree: rt.cwd, files });
    if (processes.length > 0 || files.length > 0 || o.keepWorktrees) result.keptWorktrees.push(rt.cwd);
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
    message: `down: ${result.stopped.length} sessions stopped, ${result.dirty.length} worktrees with uncommitted changes kept, ${result.running.length} with processes still running kept, ${result.foreign.length} foreign sessions left`,
    data: { ...result },
  });
  return result;
}
