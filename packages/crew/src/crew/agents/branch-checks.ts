/**
 * The agents' acceptance checks on their own branches, run by the supervisor after new commits:
 * once a branch's head has stayed the same for the debounce time (an agent commits in bursts) and
 * differs from the last head checked, the agent's checks (its tasks' and the interfaces it
 * provides) run in a temporary worktree of that commit, never in the agent's own worktree, and are
 * recorded as `check` events of scope `branch`. Checks run beside the supervisor's loop, one agent
 * at a time each, so that a long test suite never delays a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PlanContext } from '../plan/index.js';
import type { Tracker } from '../tracker/index.js';
import { planChecks, recordChecks, runChecks, type CheckEventData } from './checks.js';
import { run } from './exec.js';
import { aheadOf } from './git.js';
import type { RuntimeState } from './layout.js';

export interface BranchChecksOptions {
  ctx: PlanContext;
  tracker: Tracker;
  /** Seconds a branch's head must stay the same before its checks run. */
  debounceS: number;
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  now: () => number;
  log?: (line: string) => void;
}

export class BranchChecks {
  /** The head last seen per agent and since when (ms). */
  private readonly seen = new Map<string, { sha: string; since: number }>();
  /** The head last checked per agent; loaded from the tracker's events the first time. */
  private readonly checked = new Map<string, string | null>();
  private readonly running = new Map<string, Promise<void>>();

  constructor(private readonly o: BranchChecksOptions) {}

  /** One look at every agent's branch; starts the checks that are due without waiting for them. */
  async tick(state: RuntimeState): Promise<void> {
    for (const [agent, rt] of Object.entries(state.agents)) {
      if (!rt.worktree || this.running.has(agent)) continue;
      const head = await run('git', ['rev-parse', '--verify', '--quiet', rt.branch], { cwd: state.repo });
      if (head.code !== 0) continue;
      const sha = head.stdout.trim();
      if (!this.checked.has(agent)) this.checked.set(agent, await this.lastChecked(agent));
      if (sha === this.checked.get(agent)) continue;
      const seen = this.seen.get(agent);
      if (!seen || seen.sha !== sha) {
        this.seen.set(agent, { sha, since: this.o.now() });
        if (this.o.debounceS > 0) continue;
      } else if (this.o.now() - seen.since < this.o.debounceS * 1000) continue;
      // A branch with nothing of its own yet has no work to check.
      if ((await aheadOf(state.repo, state.base, rt.branch)) === 0) continue;
      const job = this.check(agent, rt.branch, sha, state.repo)
        .catch((err: Error) => this.o.log?.(`${agent}: checks on ${rt.branch} failed to run: ${err.message}`))
        .finally(() => this.running.delete(agent));
      this.running.set(agent, job);
    }
  }

  /** Waits for the checks under way. */
  async settle(): Promise<void> {
    await Promise.all([...this.running.values()]);
  }

  private async lastChecked(agent: string): Promise<string | null> {
    const events = await this.o.tracker.listEvents({ kind: 'check', agent });
    const last = events.reverse().find((e) => (e.data as CheckEventData | null)?.scope === 'branch');
    return last ? (last.data as CheckEventData).sha : null;
  }

  private async check(agent: string, branch: string, sha: string, repo: string): Promise<void> {
    const checks = planChecks(this.o.ctx.plan).filter((c) => c.agent === agent);
    this.checked.set(agent, sha);
    if (checks.length === 0) return;
    const tmp = mkdtempSync(join(tmpdir(), 'crew-check-'));
    const dir = join(tmp, agent);
    try {
      const add = await run('git', ['worktree', 'add', '--detach', dir, sha], { cwd: repo, env: this.o.env });
      if (add.code !== 0) throw new Error(add.stderr.trim().split('\n')[0]);
      const results = await runChecks(checks, dir, { timeoutMs: this.o.timeoutMs, env: this.o.env });
      await recordChecks(this.o.tracker, results, 'branch', sha, branch);
      const passed = results.filter((r) => r.status === 'passed').length;
      this.o.log?.(`${agent}: ${passed} of ${results.length} checks pass on ${branch} (${sha.slice(0, 7)})`);
    } finally {
      await run('git', ['worktree', 'remove', '--force', dir], { cwd: repo });
      rmSync(tmp, { recursive: true, force: true });
    }
  }
}
