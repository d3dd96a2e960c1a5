/**
 * `llm-crew up`: a worktree on crew/<agent> and a tmux session per agent running its command with
 * its brief, and the coordinator's session running the supervisor (and the dashboard when there is
 * one). Everything is checked before the first session starts. A crew that runs already is not
 * started again: `up` holds a lock while it starts sessions, refuses when the crew's sessions run
 * (on whichever tmux server runtime.json names) with nothing left to start, and never adopts a
 * session of an agent's name that this crew did not make.
 */
import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { UserError } from 'llm-scratch-core/errors';
import type { PlanContext } from '../plan/index.js';
import type { Tracker } from '../tracker/index.js';
import { agentBrief, writeText } from './brief.js';
import {
  commitCrewInputs,
  committedBrief,
  crewInputs,
  syncWorktree,
  type SetupCommit,
} from './environment.js';
import { requireTools } from './exec.js';
import { currentBranch, ensureWorktree, excludeCrewDir, repoRoot } from './git.js';
import { launchAgent } from './launch.js';
import {
  briefFile,
  COORDINATOR_SESSION,
  readRuntime,
  upLockFile,
  worktreeDir,
  writeRuntime,
  type RuntimeAgent,
  type RuntimeState,
} from './layout.js';
import { acquireLock } from './lock.js';
import { resolveCommand } from './resolve.js';
import { crewSessions, socketName } from './running.js';
import { writeShim } from './shim.js';
import { currentIssue } from './status.js';
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
  /** The setup commit on the base holding the plan, chunks and briefs, when the base lacked them. */
  committed: SetupCommit | null;
  /** What the agents will miss (no chunks, a branch without the plan); printed on stderr. */
  warnings: string[];
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
  const dir = resolve(ctx.dir);
  const ids = o.agents ?? ctx.plan.agents.map((a) => a.id);
  for (const id of ids)
    if (!ctx.plan.agents.some((a) => a.id === id))
      throw new UserError(
        `--agents: no agent '${id}' in the plan (agents: ${ctx.plan.agents.map((a) => a.id).join(', ')})`,
      );
  const agents = ctx.plan.agents.filter((a) => ids.includes(a.id));
  const repo = await repoRoot(dir);
  await excludeCrewDir(repo);
  const release = acquireLock(upLockFile(dir), 'llm-crew up');
  try {
    return await start(o, dir, repo, agents, env);
  } finally {
    release();
  }
}

async function start(
  o: UpOptions,
  dir: string,
  repo: string,
  agents: PlanContext['plan']['agents'],
  env: NodeJS.ProcessEnv,
): Promise<UpResult> {
  const { ctx } = o;
  const previous = readRuntime(dir);
  // A crew of this plan running on another tmux server than the one asked for: refused, so that no
  // worktree gets two agents and runtime.json keeps naming the server that runs them.
  if (previous) {
    const live = await crewSessions(dir, previous.socket, env);
    if (live.length > 0 && previous.socket !== o.socket)
      throw new UserError(
        `a crew of this plan already runs on ${socketName(previous.socket)} (sessions ${live.join(', ')}); stop it with llm-crew down, or add agents to it with up ${previous.socket ? `--socket ${previous.socket}` : 'without --socket'}`,
      );
  }
  const base = previous?.base ?? (await currentBranch(repo));
  const tmux = new Tmux(o.socket, env);

  // Every check before the first session: commands exist, names are usable, sessions are ours.
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
      active: true,
    };
    return { id: a.id, rt };
  });
  const panes = await tmux.panes();
  const owner = (session: string) => {
    const p = panes.find((x) => x.session === session);
    return p ? (p.crewRoot === dir ? 'ours' : 'foreign') : null;
  };
  for (const s of [
    ...planned.map((p) => ({ id: p.id, session: p.rt.session })),
    { id: null, session: COORDINATOR_SESSION },
  ])
    if (owner(s.session) === 'foreign')
      throw new UserError(
        `${s.id ? `agent '${s.id}': ` : ''}a tmux session '${s.session}' that this crew did not start already runs on ${socketName(o.socket)}; not adopting it: stop or rename it (tmux kill-session -t '=${s.session}')${s.id ? ', or give the agent another session: in crew.yaml' : ', or use another --socket'}`,
      );
  const toStart = planned.filter((p) => owner(p.rt.session) === null);
  const alreadyRunning = planned.filter((p) => owner(p.rt.session) === 'ours').map((p) => p.id);
  if (toStart.length === 0 && owner(COORDINATOR_SESSION) === 'ours')
    throw new UserError(
      `the crew is already running on ${socketName(o.socket)} (${alreadyRunning.join(', ')} and ${COORDINATOR_SESSION}); llm-crew status shows it, llm-crew down stops it`,
    );

  // The agents' files: checked, briefs written, and what the base lacks committed before any worktree is made.
  const inputs = crewInputs(ctx, repo);
  const warnings = [...inputs.warnings];
  const briefs = new Map<string, string>();
  for (const { id, rt } of toStart) {
    const text = agentBrief(ctx, id, rt, base, repo);
    briefs.set(id, text);
    writeText(committedBrief(dir, id), text);
    // The supervisor's recovery briefs start from this copy.
    writeText(briefFile(dir, id), text);
  }
  const committed = await commitCrewInputs(
    repo,
    base,
    [...inputs.paths, ...toStart.map((p) => committedBrief(dir, p.id))],
    toStart.map((p) => p.id),
  );
  writeShim(dir, o.self);

  const state: RuntimeState = {
    version: 1,
    socket: o.socket,
    repo,
    base,
    worktrees: o.worktrees,
    self: o.self,
    agents: { ...(previous?.agents ?? {}) },
  };
  // Agents of an earlier run that no longer run are not the supervisor's to bring back.
  for (const [id, rt] of Object.entries(state.agents))
    if (!planned.some((p) => p.id === id) && owner(rt.session) !== 'ours') rt.active = false;
  const issues = await o.tracker.listIssues({ state: 'open' });
  const started: string[] = [];
  for (const { id, rt } of toStart) {
    const inTree = resolve(rt.cwd, relative(repo, committedBrief(dir, id)));
    if (o.worktrees) {
      await ensureWorktree(repo, rt.cwd, rt.branch, base);
      const missing = await syncWorktree(
        id,
        rt.cwd,
        rt.branch,
        base,
        [...inputs.paths, committedBrief(dir, id)].map((p) => relative(repo, p)),
      );
      if (missing) warnings.push(missing);
    }
    // A branch that could not take the setup commit still gets its brief, from .crew/.
    const promptFile = existsSync(inTree) ? inTree : briefFile(dir, id);
    const issue = currentIssue(ctx.plan, id, issues);
    await launchAgent(tmux, {
      agent: id,
      rt,
      dir,
      planFile: resolve(ctx.file),
      promptFile,
      prompt: briefs.get(id)!,
      resume: false,
      self: o.self,
      repo,
      socket: o.socket,
      issue: issue?.number ?? null,
      env,
    });
    // Recorded once the session runs: a supervisor of this crew looking now finds an active agent
    // with a session, never one to bring back while up is starting it.
    state.agents[id] = rt;
    writeRuntime(dir, state);
    started.push(id);
    await o.tracker.addEvent({
      agent: id,
      kind: 'start',
      message: `started in ${rt.session} (${rt.profile}: ${relative(dir, rt.cwd) || '.'})`,
      data: { session: rt.session, branch: rt.branch, cwd: rt.cwd, argv: rt.argv },
    });
  }
  for (const { id, rt } of planned)
    if (alreadyRunning.includes(id)) state.agents[id] = { ...(state.agents[id] ?? rt), active: true };
  writeRuntime(dir, state);

  let coordinator: UpResult['coordinator'] = 'already running';
  if (owner(COORDINATOR_SESSION) === null) {
    const planArgs = ['--plan', resolve(ctx.file), ...(o.socket ? ['--socket', o.socket] : [])];
    await tmux.newSession({
      name: COORDINATOR_SESSION,
      cwd: dir,
      argv: [...o.self, 'supervise', ...planArgs, ...(o.superviseArgs ?? [])],
      env: { PATH: env.PATH ?? '' },
      remainOnExit: false,
      crewRoot: dir,
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
  await o.tracker.addEvent({
    agent: null,
    kind: 'up',
    message: `up: ${started.length} started, ${alreadyRunning.length} already running`,
    data: {
      started,
      alreadyRunning,
      socket: o.socket,
      worktrees: o.worktrees,
      committed: committed?.sha ?? null,
    },
  });
  return { started, alreadyRunning, coordinator, socket: o.socket, committed, warnings };
}
