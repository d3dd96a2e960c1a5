/**
 * The supervisor (`llm-crew supervise`, in the coordinator's session): every few seconds it decides
 * each agent's state (hooks/state.ts: from its program's hook reports, its pane and its screen) and
 * records each change. Only an `exited` agent (its process exited or was killed, or its session
 * vanished while the agent was active) or a `hung` one is restarted, with exponential backoff,
 * resuming the agent's conversation with a recovery brief; one that finished its turn or waits for
 * its user is left alone. After the limit it gives up and labels the agent's issue `blocked`. Every
 * step is an event in the tracker. A session of an agent's name that this crew did not make is
 * reported once and left alone. It never commits: an agent's work is the agent's.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { PlanContext } from '../plan/index.js';
import type { Tracker } from '../tracker/index.js';
import { recoveryBrief, writeText } from './brief.js';
import { BranchChecks } from './branch-checks.js';
import { dirtyFiles, recentCommits } from './git.js';
import { launchAgent } from './launch.js';
import { briefFile, readRuntime, recoveryFile, type RuntimeState } from './layout.js';
import {
  agentState,
  DEFAULT_DEBOUNCE_S,
  DEFAULT_SILENT_AFTER_S,
  type AgentState,
  type StateVerdict,
} from './hooks/state.js';
import { latestHook } from './hooks/report.js';
import { profileNamed } from './profiles/index.js';
import { currentIssue } from './status.js';
import { Tmux, type PaneInfo } from './tmux.js';

type Hook = Awaited<ReturnType<typeof latestHook>>;

export interface SupervisorSettings {
  /** Seconds without output before a running agent counts as stuck. */
  silentAfterS: number;
  /** Restarts before giving up. */
  maxRestarts: number;
  /** The first restart's delay; each next one doubles, up to backoffMaxS. */
  backoffS: number;
  backoffMaxS: number;
  /** Seconds a screen must stay unchanged before the prompt it shows counts. */
  debounceS: number;
  /** Seconds an agent's branch must rest after a commit before its acceptance checks run on it. */
  checkDebounceS?: number;
  /** Seconds each acceptance check may run. */
  checkTimeoutS?: number;
}

export const DEFAULT_SETTINGS: SupervisorSettings = {
  silentAfterS: DEFAULT_SILENT_AFTER_S,
  maxRestarts: 5,
  backoffS: 5,
  backoffMaxS: 300,
  debounceS: DEFAULT_DEBOUNCE_S,
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
  /** The state last recorded, null until the first look after a (re)start. */
  state: AgentState | null;
  /** A session of the agent's name that another crew or a user made: reported once, left alone. */
  foreignReported: boolean;
  /** The pending restart is for a session that vanished, not for a dead pane. */
  gone: boolean;
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
      w = {
        restarts: 0,
        dueAt: null,
        reason: null,
        gaveUp: false,
        state: null,
        foreignReported: false,
        gone: false,
      };
      this.watches.set(agent, w);
    }
    return w;
  }

  private async event(
    agent: string,
    kind: 'exit' | 'silent' | 'restart' | 'gave-up' | 'state' | 'foreign',
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
    const root = resolve(this.o.ctx.dir);
    for (const [agent, rt] of Object.entries(this.o.state.agents)) {
      const pane = panes.find((p) => p.session === rt.session) ?? null;
      if (pane && pane.crewRoot !== root) {
        await this.foreign(agent, rt.session);
        continue;
      }
      // No session and not active: stopped by down, or from an earlier run; nothing to supervise.
      // Active with no session: its session or its only pane was killed.
      if (!pane && rt.active !== true) continue;
      await this.check(agent, pane);
    }
    await this.checks.tick(this.o.state);
  }

  private async foreign(agent: string, session: string): Promise<void> {
    const w = this.watch(agent);
    if (w.foreignReported) return;
    w.foreignReported = true;
    await this.event(
      agent,
      'foreign',
      `session '${session}' was not started by this crew: left alone, not supervised`,
      { session },
    );
  }

  /** A dead pane's exit status or signal: tmux learns them a moment after it marks the pane dead. */
  private async reaped(pane: PaneInfo): Promise<PaneInfo> {
    for (let i = 0; i < 10 && pane.exitStatus === null && pane.exitSignal === null; i++) {
      await new Promise((r) => setTimeout(r, 50));
      pane = (await this.tmux.panes()).find((p) => p.session === pane.session) ?? pane;
    }
    return pane;
  }

  /** The agent's state now, recorded as an event when it changed since the last look. */
  private async verdict(agent: string, w: Watch, pane: PaneInfo | null, hook: Hook): Promise<StateVerdict> {
    const s = this.o.settings;
    const rt = this.o.state.agents[agent]!;
    const verdict: StateVerdict = pane
      ? agentState({
          profile: profileNamed(rt.profile),
          dead: pane.dead,
          nowS: this.now() / 1000,
          lastOutputS: pane.activity,
          screen: pane.dead ? '' : await this.tmux.capture(rt.session),
          hook,
          silentAfterS: s.silentAfterS,
          debounceS: s.debounceS,
        })
      : { state: 'exited', source: 'pane' };
    if (verdict.state !== w.state) {
      w.state = verdict.state;
      await this.event(agent, 'state', `${verdict.state} (from its ${verdict.source})`, { ...verdict });
    }
    return verdict;
  }

  private async check(agent: string, found: PaneInfo | null): Promise<void> {
    const w = this.watch(agent);
    if (w.gaveUp) return;
    const s = this.o.settings;
    const now = this.now();
    if (w.dueAt === null) {
      w.gone = !found;
      const pane = found?.dead ? await this.reaped(found) : found;
      const hook = pane ? await latestHook(this.o.tracker, agent) : null;
      const verdict = await this.verdict(agent, w, pane, hook);
      if (!pane) {
        w.reason = 'its session was killed';
        await this.schedule(agent, w, 'exit', 'its session is gone', { status: null, signal: null });
      } else if (verdict.state === 'exited') {
        const how =
          pane.exitSignal !== null
            ? `was killed by signal ${pane.exitSignal}`
            : pane.exitStatus !== null
              ? `exited with status ${pane.exitStatus}`
              : 'ended; tmux recorded no exit status or signal';
        w.reason = `its process ${how}`;
        await this.schedule(agent, w, 'exit', how, { status: pane.exitStatus, signal: pane.exitSignal });
      } else if (verdict.state === 'hung') {
        const last = Math.max(pane.activity ?? 0, hook?.atS ?? 0);
        const idle = Math.round(now / 1000 - last);
        w.reason = `it was working but printed and reported nothing for ${idle} s`;
        await this.schedule(agent, w, 'silent', `hung: silent for ${idle} s while working`, {
          idleSeconds: idle,
          waiting: false,
        });
      }
      // A restart due at once (no backoff left) happens in this look, not the next.
      if (w.dueAt === null || this.now() < w.dueAt) return;
    } else if (now < w.dueAt) return;
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
    // A session found gone: `down` marks agents inactive before it kills their sessions, so one it
    // killed stays gone; one that is back (an `up` made it again) is not killed by a respawn.
    if (w.gone) {
      w.gone = false;
      const back = await this.tmux.hasSession(rt.session);
      if (back || readRuntime(ctx.dir)?.agents[agent]?.active !== true) {
        w.dueAt = null;
        w.state = null;
        return;
      }
    }
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
    w.state = null;
    await launchAgent(this.tmux, {
      agent,
      rt,
      dir: ctx.dir,
      planFile: resolve(ctx.file),
      promptFile: file,
      prompt,
      resume: true,
      self: state.self,
      repo: state.repo,
      socket: state.socket,
      issue: issue?.number ?? null,
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
