/**
 * The supervisor (`llm-crew supervise`, in the coordinator's session): every few seconds it looks
 * at each agent's pane. A process that exited, or a pane silent past the threshold while not
 * waiting for the user, is restarted with exponential backoff, resuming the agent's conversation
 * with a recovery brief. After the limit it gives up and labels the agent's issue `blocked`. Every
 * step is an event in the tracker. It never commits: an agent's work is the agent's.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { PlanContext } from '../plan/index.js';
import type { Tracker } from '../tracker/index.js';
import { recoveryBrief, writeText } from './brief.js';
import { BranchChecks } from './branch-checks.js';
import { dirtyFiles, recentCommits } from './git.js';
import { launchAgent } from './launch.js';
import { briefFile, recoveryFile, type RuntimeState } from './layout.js';
import { looksWaiting, profileFor } from './profiles.js';
import { currentIssue } from './status.js';
import { Tmux, type PaneInfo } from './tmux.js';

export interface SupervisorSettings {
  /** Seconds without output before a running agent counts as stuck. */
  silentAfterS: number;
  /** Restarts before giving up. */
  maxRestarts: number;
  /** The first restart's delay; each next one doubles, up to backoffMaxS. */
  backoffS: number;
  backoffMaxS: number;
  /** Seconds an agent's branch must rest after a commit before its acceptance checks run on it. */
  checkDebounceS?: number;
  /** Seconds each acceptance check may run. */
  checkTimeoutS?: number;
}

export const DEFAULT_SETTINGS: SupervisorSettings = {
  // Agents think for minutes without printing; ten minutes of silence is a hang, not thought.
  silentAfterS: 600,
  maxRestarts: 5,
  backoffS: 5,
  backoffMaxS: 300,
  // Agents commit in bursts: check a branch once it has rested half a minute.
  checkDebounceS: 30,
  checkTimeoutS: 600,
};

interface Watch {
  restarts: number;
  /** When the pending restart is due (ms), or null. */
  dueAt: number | null;
  reason: string | null;
  gaveUp: boolean;
  /** A silence already reported (waiting for the user), until the pane prints again. */
  silentSince: number | null;
  /** Looks at a dead pane whose exit status tmux did not know yet. */
  unreaped: number;
}

export interface SupervisorOptions {
  ctx: PlanContext;
  state: RuntimeState;
  tracker: Tracker;
  settings: SupervisorSettings;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  now?: () => number;
}

export function backoffSeconds(s: SupervisorSettings, restartsDone: number): number {
  return Math.min(s.backoffMaxS, s.backoffS * 2 ** restartsDone);
}

export class Supervisor {
  private readonly watches = new Map<string, Watch>();
  private readonly tmux: Tmux;
  private readonly now: () => number;
  readonly checks: BranchChecks;

  constructor(private o: SupervisorOptions) {
    this.tmux = new Tmux(o.state.socket, o.env);
    this.now = o.now ?? Date.now;
    this.checks = new BranchChecks({
      ctx: o.ctx,
      tracker: o.tracker,
      debounceS: o.settings.checkDebounceS ?? DEFAULT_SETTINGS.checkDebounceS!,
      timeoutMs: (o.settings.checkTimeoutS ?? DEFAULT_SETTINGS.checkTimeoutS!) * 1000,
      env: o.env,
      now: this.now,
      log: o.log,
    });
  }

  private watch(agent: string): Watch {
    let w = this.watches.get(agent);
    if (!w) {
      w = { restarts: 0, dueAt: null, reason: null, gaveUp: false, silentSince: null, unreaped: 0 };
      this.watches.set(agent, w);
    }
    return w;
  }

  private async event(
    agent: string,
    kind: 'exit' | 'silent' | 'restart' | 'gave-up',
    message: string,
    data: Record<string, unknown>,
  ) {
    this.o.log?.(`${new Date(this.now()).toISOString()} ${agent}: ${message}`);
    await this.o.tracker.addEvent({ agent, kind, message, data });
  }

  /** One look at every agent; the loop in `llm-crew supervise` calls it every few seconds. */
  async tick(state?: RuntimeState): Promise<void> {
    // A later `up --agents X` adds agents to runtime.json: the loop hands the fresh state in.
    if (state) this.o = { ...this.o, state };
    const panes = await this.tmux.panes();
    for (const [agent, rt] of Object.entries(this.o.state.agents)) {
      const pane = panes.find((p) => p.session === rt.session);
      // No session: stopped on purpose (down) or never started; nothing to supervise.
      if (!pane) continue;
      await this.check(agent, pane);
    }
    await this.checks.tick(this.o.state);
  }

  private async check(agent: string, pane: PaneInfo): Promise<void> {
    const w = this.watch(agent);
    if (w.gaveUp) return;
    const s = this.o.settings;
    const now = this.now();
    if (w.dueAt === null) {
      // tmux marks a pane dead when its terminal closes, and learns the exit status a moment later.
      if (pane.dead && pane.exitStatus === null && w.unreaped < 3) {
        w.unreaped += 1;
        return;
      }
      w.unreaped = 0;
      if (pane.dead) {
        w.reason = `its process exited with status ${pane.exitStatus ?? 'unknown'}`;
        await this.schedule(agent, w, 'exit', `exited with status ${pane.exitStatus ?? 'unknown'}`, {
          status: pane.exitStatus,
        });
      } else if (pane.activity !== null && now / 1000 - pane.activity > s.silentAfterS) {
        const idle = Math.round(now / 1000 - pane.activity);
        const rt = this.o.state.agents[agent]!;
        if (looksWaiting(profileFor(rt.argv), await this.tmux.capture(rt.session))) {
          // Waiting for the user is the coordinator's call, not a hang: say so once.
          if (w.silentSince !== pane.activity) {
            w.silentSince = pane.activity;
            await this.event(agent, 'silent', `waiting for input for ${idle} s`, {
              idleSeconds: idle,
              waiting: true,
            });
          }
          return;
        }
        w.reason = `its pane printed nothing for ${idle} s`;
        await this.schedule(agent, w, 'silent', `silent for ${idle} s`, {
          idleSeconds: idle,
          waiting: false,
        });
      }
      return;
    }
    if (now < w.dueAt) return;
    if (w.restarts >= s.maxRestarts) {
      w.gaveUp = true;
      await this.giveUp(agent, w);
      return;
    }
    await this.restart(agent, w);
  }

  private async schedule(
    agent: string,
    w: Watch,
    kind: 'exit' | 'silent',
    message: string,
    data: Record<string, unknown>,
  ) {
    const delay = w.restarts >= this.o.settings.maxRestarts ? 0 : backoffSeconds(this.o.settings, w.restarts);
    w.dueAt = this.now() + delay * 1000;
    await this.event(agent, kind, message, { ...data, restartInSeconds: delay });
  }

  private async restart(agent: string, w: Watch): Promise<void> {
    const { ctx, state } = this.o;
    const rt = state.agents[agent]!;
    const issues = await this.o.tracker.listIssues({ state: 'open' });
    const issue = currentIssue(ctx.plan, agent, issues);
    const [commits, dirty] = await Promise.all([
      recentCommits(rt.cwd, 'HEAD', 5, rt.worktree ? state.base : undefined),
      dirtyFiles(rt.cwd),
    ]);
    let brief = '';
    try {
      brief = readFileSync(briefFile(ctx.dir, agent), 'utf8');
    } catch {
      brief = '(the brief is missing; run llm-crew up again to write it)';
    }
    const file = recoveryFile(ctx.dir, agent);
    const prompt = recoveryBrief(agent, w.reason ?? 'it stopped', issue, commits, dirty, brief);
    writeText(file, prompt);
    w.restarts += 1;
    w.dueAt = null;
    w.silentSince = null;
    await launchAgent(this.tmux, {
      agent,
      rt,
      dir: ctx.dir,
      planFile: resolve(ctx.file),
      promptFile: file,
      prompt,
      resume: true,
      env: this.o.env,
    });
    await this.event(
      agent,
      'restart',
      `restart ${w.restarts} of ${this.o.settings.maxRestarts} (${w.reason})`,
      {
        attempt: w.restarts,
        reason: w.reason,
        issue: issue?.number ?? null,
      },
    );
  }

  private async giveUp(agent: string, w: Watch): Promise<void> {
    const issues = await this.o.tracker.listIssues({ state: 'open' });
    const issue = currentIssue(this.o.ctx.plan, agent, issues);
    const message = `gave up after ${w.restarts} restarts (${w.reason}); the session is left as it is for the coordinator`;
    if (issue) {
      await this.o.tracker.editLabels(issue.number, ['blocked'], []);
      await this.o.tracker.addComment(issue.number, `llm-crew supervisor: ${agent} ${message}.`, 'llm-crew');
    }
    await this.event(agent, 'gave-up', message, { restarts: w.restarts, issue: issue?.number ?? null });
  }
}
