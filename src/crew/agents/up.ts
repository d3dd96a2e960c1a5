/**
 * `llm-crew up`: a worktree on crew/<agent> and a tmux session per agent running its command with
 * its brief, and the coordinator's session running the supervisor (and the dashboard when there is
 * one). Everything is checked before the first session starts; sessions already running are left
 * as they are, so running `up` twice starts nothing twice.
 */
import { relative, resolve } from 'node:path';
import { UserError } from '../../errors.js';
import type { PlanContext } from '../plan/index.js';
import type { Tracker } from '../tracker/index.js';
import { agentBrief, writeText } from './brief.js';
import { requireTools } from './exec.js';
import { currentBranch, ensureWorktree, excludeCrewDir, repoRoot } from './git.js';
import { launchAgent } from './launch.js';
import {
  briefFile,
  COORDINATOR_SESSION,
  readRuntime,
  worktreeDir,
  writeRuntime,
  type RuntimeAgent,
  type RuntimeState,
} from './layout.js';
import { resolveCommand } from './resolve.js';
import { Tmux } from './tmux.js';

export interface UpOptions {
  ctx: PlanContext;
  tracker: Tracker;
  /** Agent ids; default all. */
  agents?: string[];
  /** Run this for every agent instead of the plan's commands. */
  command?: string;
  socket: string | null;
  worktrees: boolean;
  /** How to run llm-crew itself: [node, ...flags, script]. */
  self: string[];
  /** More arguments for `llm-crew supervise` (--interval, --backoff, ...). */
  superviseArgs?: string[];
  /** Extra windows in the coordinator's session: name and llm-crew arguments (the dashboard). */
  coordinatorWindows?: { name: string; args: string[] }[];
  env?: NodeJS.ProcessEnv;
}

export interface UpResult {
  started: string[];
  alreadyRunning: string[];
  coordinator: 'started' | 'already running';
  socket: string | null;
}

// tmux turns '.' and ':' in a session name into '_' and escapes '$' and '\' (tmux 3.3a), and then
// exact targets would miss the session. crew.schema.json refuses them in `session:`; this also
// catches the default name crew-<id> of an id with a '.'.
function checkSessionName(agent: string, session: string): void {
  if (session === '' || /[.:$\\]/.test(session))
    throw new UserError(
      `agent '${agent}': session name '${session}' cannot contain '.', ':', '$' or '\\' (tmux changes them)`,
    );
}

export async function crewUp(o: UpOptions): Promise<UpResult> {
  const env = o.env ?? process.env;
  await requireTools(['tmux', 'git'], env);
  const { ctx } = o;
  const dir = ctx.dir;
  const ids = o.agents ?? ctx.plan.agents.map((a) => a.id);
  for (const id of ids)
    if (!ctx.plan.agents.some((a) => a.id === id))
      throw new UserError(
        `--agents: no agent '${id}' in the plan (agents: ${ctx.plan.agents.map((a) => a.id).join(', ')})`,
      );
  const agents = ctx.plan.agents.filter((a) => ids.includes(a.id));
  const repo = await repoRoot(dir);
  const previous = readRuntime(dir);
  const base = previous?.base ?? (await currentBranch(repo));
  const tmux = new Tmux(o.socket, env);

  // Every check before the first session: commands exist, names are usable.
  const planned = agents.map((a) => {
    checkSessionName(a.id, a.session);
    const argv = resolveCommand(a.id, o.command ?? a.command, dir, env);
    const cwd = o.worktrees ? worktreeDir(dir, a.id) : repo;
    const rt: RuntimeAgent = {
      session: a.session,
      branch: o.worktrees ? `crew/${a.id}` : base,
      cwd,
      worktree: o.worktrees,
      argv,
      // --command runs a program of the user's choosing for every agent: no profile of the plan's fits it.
      profile: o.command ? 'plain' : a.program,
      permissions: a.permissions,
    };
    return { id: a.id, rt };
  });
  const sessions = new Set(await tmux.sessions());
  await excludeCrewDir(repo);

  const state: RuntimeState = {
    version: 1,
    socket: o.socket,
    repo,
    base,
    worktrees: o.worktrees,
    self: o.self,
    agents: { ...(previous?.agents ?? {}) },
  };
  const started: string[] = [];
  const alreadyRunning: string[] = [];
  for (const { id, rt } of planned) {
    if (sessions.has(rt.session)) {
      alreadyRunning.push(id);
      continue;
    }
    if (o.worktrees) await ensureWorktree(repo, rt.cwd, rt.branch, base);
    const file = briefFile(dir, id);
    const prompt = agentBrief(ctx, id, rt, base);
    writeText(file, prompt);
    state.agents[id] = rt;
    writeRuntime(dir, state);
    await launchAgent(tmux, {
      agent: id,
      rt,
      dir,
      planFile: resolve(ctx.file),
      promptFile: file,
      prompt,
      resume: false,
      self: o.self,
      repo,
      env,
    });
    started.push(id);
    await o.tracker.addEvent({
      agent: id,
      kind: 'start',
      message: `started in ${rt.session} (${rt.profile}: ${relative(dir, rt.cwd) || '.'})`,
      data: { session: rt.session, branch: rt.branch, cwd: rt.cwd, argv: rt.argv },
    });
  }
  writeRuntime(dir, state);

  let coordinator: UpResult['coordinator'] = 'already running';
  if (!sessions.has(COORDINATOR_SESSION)) {
    const planArgs = ['--plan', resolve(ctx.file), ...(o.socket ? ['--socket', o.socket] : [])];
    await tmux.newSession({
      name: COORDINATOR_SESSION,
      cwd: dir,
      argv: [...o.self, 'supervise', ...planArgs, ...(o.superviseArgs ?? [])],
      env: { PATH: env.PATH ?? '' },
      remainOnExit: false,
    });
    await tmux.runOk(['rename-window', '-t', Tmux.pane(COORDINATOR_SESSION), 'supervisor']);
    // The dashboard finds the socket in runtime.json; it takes the plan only.
    for (const w of o.coordinatorWindows ?? [])
      await tmux.runOk([
        'new-window',
        '-d',
        '-t',
        `=${COORDINATOR_SESSION}:`,
        '-n',
        w.name,
        '-c',
        dir,
        '--',
        ...o.self,
        ...w.args,
        '--plan',
        resolve(ctx.file),
      ]);
    coordinator = 'started';
  }
  if (started.length > 0 || coordinator === 'started')
    await o.tracker.addEvent({
      agent: null,
      kind: 'up',
      message: `up: ${started.length} started, ${alreadyRunning.length} already running`,
      data: { started, alreadyRunning, socket: o.socket, worktrees: o.worktrees },
    });
  return { started, alreadyRunning, coordinator, socket: o.socket };
}
