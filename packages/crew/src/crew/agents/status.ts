/**
 * `llm-crew status`: per agent, what tmux, git and the tracker say about it. The dashboard renders
 * the same AgentStatus objects.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { agentLabel, type Plan } from '../plan/index.js';
import type { Issue, Tracker } from '../tracker/index.js';
import { aheadOf, dirtyFiles, recentCommits } from './git.js';
import { readRuntime, worktreeDir, type RuntimeState } from './layout.js';
import { latestHook } from './hooks/report.js';
import { agentState, DEFAULT_DEBOUNCE_S, DEFAULT_SILENT_AFTER_S } from './hooks/state.js';
import { profileNamed } from './profiles/index.js';
import { Tmux, type PaneInfo } from './tmux.js';
import type { AgentStatus } from './types.js';

export interface StatusOptions {
  plan: Plan;
  /** crew.yaml's directory, inside the git repository: `.crew/` there holds the runtime state. */
  repoDir: string;
  /** -L socket name; undefined: the one `up` used (runtime.json), else the default server. */
  socket?: string | null;
  tracker: Tracker;
  /** Clock in ms, for tests. */
  now?: () => number;
}

/** The label an agent puts on the issue it works on; without it, its first open issue not yet in review. */
export const IN_PROGRESS = 'in-progress';

export function currentIssue(plan: Plan, agent: string, issues: Issue[]): Issue | null {
  const label = agentLabel(plan, agent);
  const mine = issues.filter((i) => i.state === 'open' && label !== null && i.labels.includes(label));
  return (
    mine.find((i) => i.labels.includes(IN_PROGRESS)) ??
    mine.find((i) => !i.labels.includes('ready-for-review')) ??
    null
  );
}

/**
 * Restarts since the crew last came up, counted from the supervisor's events. Ordered by the
 * events' ids, not their times: `up` records its event once its sessions run, and the supervisor
 * is another process whose clock need not agree to the millisecond.
 */
async function restartCounts(tracker: Tracker): Promise<Map<string, number>> {
  const ups = await tracker.listEvents({ kind: 'up', limit: 1 });
  const restarts = await tracker.listEvents({ kind: 'restart' });
  const counts = new Map<string, number>();
  for (const e of restarts)
    if (e.agent && e.id > (ups[0]?.id ?? 0)) counts.set(e.agent, (counts.get(e.agent) ?? 0) + 1);
  return counts;
}

export async function collectStatus(o: StatusOptions): Promise<AgentStatus[]> {
  const state: RuntimeState | null = readRuntime(o.repoDir);
  const tmux = new Tmux(o.socket === undefined ? (state?.socket ?? null) : o.socket);
  const now = (o.now ?? Date.now)();
  const [panes, issues, restarts] = await Promise.all([
    tmux.panes(),
    o.tracker.listIssues({ state: 'open' }),
    restartCounts(o.tracker),
  ]);
  return Promise.all(
    o.plan.agents.map(async (a): Promise<AgentStatus> => {
      const rt = state?.agents[a.id];
      const session = rt?.session ?? a.session;
      const found: PaneInfo | undefined = panes.find((p) => p.session === session);
      // A session of the agent's name that this crew did not start says nothing about the agent.
      const foreign = found !== undefined && found.crewRoot !== resolve(o.repoDir);
      const pane = foreign ? undefined : found;
      // After `down` the runtime still names the agent's worktree, but the directory is gone.
      const dir = rt?.cwd ?? worktreeDir(o.repoDir, a.id);
      const cwd = existsSync(dir) ? dir : null;
      const branch = rt?.branch ?? (cwd ? `crew/${a.id}` : null);
      const base = state?.base ?? null;
      const onOwnBranch = rt ? rt.worktree : cwd !== null;
      // Branches live in the repository, so they are read there when the worktree is gone.
      const gitDir = cwd ?? o.repoDir;
      const [commits, ahead, dirty, screen, hook] = await Promise.all([
        branch ? recentCommits(gitDir, branch, 1) : Promise.resolve([]),
        base && branch && onOwnBranch ? aheadOf(gitDir, base, branch) : Promise.resolve(null),
        cwd ? dirtyFiles(cwd) : Promise.resolve([]),
        pane && !pane.dead ? tmux.capture(session) : Promise.resolve(''),
        latestHook(o.tracker, a.id),
      ]);
      const activity = pane
        ? agentState({
            profile: profileNamed(rt?.profile ?? a.program),
            dead: pane.dead,
            nowS: now / 1000,
            lastOutputS: pane.activity,
            screen,
            hook,
            silentAfterS: DEFAULT_SILENT_AFTER_S,
            debounceS: DEFAULT_DEBOUNCE_S,
          }).state
        : null;
      const issue = currentIssue(o.plan, a.id, issues);
      const last = commits[0];
      return {
        agent: a.id,
        session,
        state: foreign ? 'foreign' : !pane ? 'missing' : pane.dead ? 'exited' : 'running',
        pid: pane && !pane.dead ? pane.pid : null,
        idleSeconds: pane?.activity ? Math.max(0, Math.round(now / 1000 - pane.activity)) : null,
        activity,
        waitingForInput: activity === 'waiting-for-input',
        issue: issue ? { number: issue.number, title: issue.title } : null,
        branch,
        worktree: cwd,
        ahead,
        lastCommit: last
          ? {
              sha: last.sha,
              subject: last.subject,
              ageSeconds: Math.max(0, Math.round(now / 1000 - last.time)),
            }
          : null,
        dirtyFiles: dirty.length,
        restarts: restarts.get(a.id) ?? 0,
      };
    }),
  );
}
