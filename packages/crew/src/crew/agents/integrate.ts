/**
 * `llm-crew test [--merge]` and `llm-crew merge AGENT`: the agents' branches merged, in the order
 * of their milestones' dependencies, into a temporary worktree of the base branch; each integration
 * point's test and each task's acceptance check run there. A branch that conflicts is left out and
 * its points count as conflicts. The result is commented on the integration issues (labelled
 * `blocked` while they fail) and recorded as a `test` event and one `check` event per check; with
 * --merge, a result whose integration points all pass moves the base branch to it (the tasks'
 * checks measure progress and do not hold the merge back), and every open issue whose check
 * passed on the merged result closes, recorded as a `close` event.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from 'llm-scratch-core/errors';
import { agentLabel, pointMilestone, type PlanContext } from '../plan/index.js';
import type { Issue, Tracker } from '../tracker/index.js';
import { run, runOk } from './exec.js';
import { aheadOf, branchExists, currentBranch, repoRoot } from './git.js';
import { planChecks, recordChecks, runChecks, type CheckResult, type CheckStatus } from './checks.js';
import { readRuntime } from './layout.js';

export type PointStatus = 'passed' | 'failed' | 'conflict';

export interface PointResult {
  id: string;
  command: string;
  status: PointStatus;
  exitCode: number | null;
  /** The end of the test's output. */
  output: string;
  issue: number | null;
}

export interface IntegrationResult {
  base: string;
  /** The merge's commit (the base's with nothing to merge). */
  head: string;
  merged: string[];
  conflicts: { agent: string; files: string[] }[];
  points: PointResult[];
  passed: number;
  failed: number;
  /** Whether the base branch now points at the result (--merge, all green). */
  mergedIntoBase: boolean;
  /** The tasks' acceptance checks on the result. */
  tasks: TaskCheck[];
  /** Issues closed because their check passed on the merged result (--merge). */
  closed: number[];
}

export interface TaskCheck {
  key: string;
  agent: string | null;
  milestone: string;
  command: string;
  status: CheckStatus;
  exitCode: number | null;
  output: string;
  issue: number | null;
}

export interface IntegrateOptions {
  ctx: PlanContext;
  tracker: Tracker;
  /** Only these agents' branches (merge AGENT); default every agent. */
  agents?: string[];
  merge: boolean;
  /** Per test. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

// Merge commits the coordinator makes carry this identity when git has none configured.
const IDENTITY = ['-c', 'user.name=llm-crew', '-c', 'user.email=llm-crew@localhost'];

/** Agents in the order their milestones depend on each other (a producer before its consumers). */
export function mergeOrder(ctx: PlanContext): string[] {
  const { milestones, agents } = ctx.plan;
  const done = new Set<string>();
  const order: string[] = [];
  const visit = (id: string, seen: Set<string>) => {
    if (done.has(id) || seen.has(id)) return;
    seen.add(id);
    const m = milestones.find((x) => x.id === id);
    for (const d of m?.depends ?? []) visit(d, seen);
    done.add(id);
    if (m && agents.some((a) => a.id === m.owner) && !order.includes(m.owner)) order.push(m.owner);
  };
  for (const m of milestones) visit(m.id, new Set());
  return [...order, ...agents.map((a) => a.id).filter((a) => !order.includes(a))];
}

async function issuesByKey(tracker: Tracker): Promise<Map<string, Issue>> {
  const issues = await tracker.listIssues({ state: 'all' });
  return new Map(issues.filter((i) => i.key !== null).map((i) => [i.key!, i]));
}

export async function integrate(o: IntegrateOptions): Promise<IntegrationResult> {
  const { ctx, tracker } = o;
  const state = readRuntime(ctx.dir);
  const repo = state?.repo ?? (await repoRoot(ctx.dir));
  const base = state?.base ?? (await currentBranch(repo));
  const onBranches = state?.worktrees ?? true;
  const wanted = o.agents ?? ctx.plan.agents.map((a) => a.id);
  const tmp = mkdtempSync(join(tmpdir(), 'crew-test-'));
  const dir = join(tmp, 'merge');
  const git = (...args: string[]) => run('git', [...IDENTITY, ...args], { cwd: dir, env: o.env });
  await runOk('git', ['worktree', 'add', '--detach', dir, base], { cwd: repo, env: o.env });
  try {
    const merged: string[] = [];
    const conflicts: IntegrationResult['conflicts'] = [];
    for (const agent of mergeOrder(ctx).filter((a) => wanted.includes(a))) {
      const branch = `crew/${agent}`;
      if (!onBranches || !(await branchExists(repo, branch)) || (await aheadOf(repo, base, branch)) === 0)
        continue;
      const r = await git('merge', '--no-ff', '--no-edit', '-m', `merge ${branch} (llm-crew test)`, branch);
      if (r.code === 0) {
        merged.push(agent);
        continue;
      }
      const files = (await git('diff', '--name-only', '--diff-filter=U')).stdout.split('\n').filter(Boolean);
      await git('merge', '--abort');
      conflicts.push({ agent, files });
      await tracker.addEvent({
        agent,
        kind: 'conflict',
        message: `crew/${agent} conflicts with ${base}${merged.length ? ` + ${merged.join(', ')}` : ''}: ${files.join(', ')}`,
        data: { files, mergedBefore: [...merged] },
      });
    }
    const head = (await runOk('git', ['rev-parse', 'HEAD'], { cwd: dir })).trim();
    const byKey = await issuesByKey(tracker);
    const issueOf = (key: string) => byKey.get(key)?.number ?? null;
    const conflicted = new Set(conflicts.map((c) => c.agent));
    const points: PointResult[] = [];
    for (const p of ctx.plan.integration) {
      if (o.agents && !o.agents.includes(p.from) && !o.agents.includes(p.to)) continue;
      const base: Omit<PointResult, 'status' | 'exitCode' | 'output'> = {
        id: p.id,
        command: p.test,
        issue: issueOf(`integration/${p.id}`),
      };
      if (conflicted.has(p.from) || conflicted.has(p.to)) {
        const who = [p.from, p.to].filter((a) => conflicted.has(a)).join(' and ');
        points.push({ ...base, status: 'conflict', exitCode: null, output: `not run: ${who} did not merge` });
        continue;
      }
      const [r] = await runChecks(
        [{ key: `integration/${p.id}`, kind: 'integration', agent: p.from, milestone: '', command: p.test }],
        dir,
        { timeoutMs: o.timeoutMs ?? 600_000, env: o.env },
      );
      points.push({ ...base, status: r!.status, exitCode: r!.exitCode, output: r!.output });
    }
    const wantedChecks = planChecks(ctx.plan).filter(
      (c) => c.kind === 'task' && (!o.agents || (c.agent !== null && o.agents.includes(c.agent))),
    );
    const ran = await runChecks(
      wantedChecks.filter((c) => c.agent === null || !conflicted.has(c.agent)),
      dir,
      { timeoutMs: o.timeoutMs ?? 600_000, env: o.env },
    );
    const tasks: TaskCheck[] = wantedChecks.map((c) => {
      const r = ran.find((x) => x.key === c.key);
      return {
        key: c.key,
        agent: c.agent,
        milestone: c.milestone,
        command: c.command,
        status: r?.status ?? 'conflict',
        exitCode: r?.exitCode ?? null,
        output: r?.output ?? `not run: ${c.agent} did not merge`,
        issue: issueOf(c.key),
      };
    });
    const passed = points.filter((p) => p.status === 'passed').length;
    const failed = points.length - passed;
    let mergedIntoBase = false;
    if (o.merge && conflicts.length === 0 && failed === 0 && merged.length > 0) {
      await moveBase(repo, base, head, o.env);
      mergedIntoBase = true;
    }
    const result: IntegrationResult = {
      base,
      head,
      merged,
      conflicts,
      points,
      passed,
      failed,
      mergedIntoBase,
      tasks,
      closed: [],
    };
    // A check that passes on the merged result closes its issue, whether or not a failing
    // interface holds the base back: the task's work merges and does what it should.
    await report(tracker, result, ctx, o.merge ? byKey : null);
    return result;
  } finally {
    await run('git', ['worktree', 'remove', '--force', dir], { cwd: repo });
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Fast-forwards the base branch to the tested merge, in the repository's own checkout if it is there. */
async function moveBase(repo: string, base: string, head: string, env?: NodeJS.ProcessEnv): Promise<void> {
  const checkedOut = (
    await run('git', ['symbolic-ref', '--quiet', '--short', 'HEAD'], { cwd: repo })
  ).stdout.trim();
  const r =
    checkedOut === base
      ? await run('git', ['merge', '--ff-only', head], { cwd: repo, env })
      : await run('git', ['update-ref', `refs/heads/${base}`, head], { cwd: repo, env });
  if (r.code !== 0)
    throw new UserError(
      `cannot move ${base} to the tested merge ${head.slice(0, 7)}: ${r.stderr.trim().split('\n')[0]}`,
    );
}

/** The checks of a result as check.ts records them: the integration points, then the tasks. */
function checkResults(ctx: PlanContext, r: IntegrationResult): CheckResult[] {
  const points = r.points.map((p) => {
    const x = ctx.plan.integration.find((i) => i.id === p.id)!;
    return {
      key: `integration/${p.id}`,
      kind: 'integration' as const,
      agent: x.from,
      milestone: pointMilestone(ctx.plan, x),
      command: p.command,
      status: p.status,
      exitCode: p.exitCode,
      output: p.output,
    };
  });
  const tasks = r.tasks.map((t) => ({ ...t, kind: 'task' as const }));
  return [...points, ...tasks];
}

/** Closes each open issue whose check passed on the merged result (a conflicting branch's did not run). */
async function closePassing(
  tracker: Tracker,
  results: CheckResult[],
  r: IntegrationResult,
  byKey: Map<string, Issue>,
): Promise<void> {
  for (const c of results) {
    const issue = byKey.get(c.key);
    if (c.status !== 'passed' || !issue || issue.state !== 'open') continue;
    await tracker.addComment(
      issue.number,
      `llm-crew test --merge: the acceptance check \`${c.command}\` passes on the merged result ${r.base}${r.merged.length ? ` + ${r.merged.map((a) => `crew/${a}`).join(', ')}` : ''} (${r.head.slice(0, 7)}${r.mergedIntoBase ? `, now ${r.base}` : ''}); closing.`,
      'llm-crew',
    );
    await tracker.updateIssue(issue.number, { state: 'closed' });
    await tracker.addEvent({
      agent: c.agent,
      kind: 'close',
      message: `closed #${issue.number} ${c.key}: \`${c.command}\` passes on the merged result (${r.head.slice(0, 7)})`,
      data: {
        issue: issue.number,
        key: c.key,
        milestone: c.milestone,
        command: c.command,
        sha: r.head,
        onBase: r.mergedIntoBase,
      },
    });
    r.closed.push(issue.number);
  }
}

async function report(
  tracker: Tracker,
  r: IntegrationResult,
  ctx: PlanContext,
  closeFrom: Map<string, Issue> | null,
): Promise<void> {
  for (const p of r.points) {
    if (p.issue === null) continue;
    const verdict = { passed: 'passes', failed: 'fails', conflict: 'cannot run: a branch conflicts' }[
      p.status
    ];
    const merged = r.merged.length ? r.merged.map((a) => `crew/${a}`).join(', ') : 'no branch';
    await tracker.addComment(
      p.issue,
      `llm-crew test: \`${p.command}\` ${verdict} on ${r.base} + ${merged} (${r.head.slice(0, 7)}).\n\n\`\`\`\n${p.output}\n\`\`\``,
      'llm-crew',
    );
    if (p.status === 'passed') await tracker.editLabels(p.issue, [], ['blocked']);
    else await tracker.editLabels(p.issue, ['blocked'], []);
  }
  const perIntegrationPoint = Object.fromEntries(
    r.points.map((p) => [p.id, { status: p.status, exitCode: p.exitCode, issue: p.issue }]),
  );
  await tracker.addEvent({
    agent: null,
    kind: 'test',
    message: `test: ${r.passed} passed, ${r.failed} failed, ${r.conflicts.length} conflicts${r.mergedIntoBase ? `; ${r.base} moved to ${r.head.slice(0, 7)}` : ''}`,
    data: {
      passed: r.passed,
      failed: r.failed,
      conflicts: r.conflicts.length,
      conflictFiles: r.conflicts,
      merged: r.merged,
      base: r.base,
      head: r.head,
      mergedIntoBase: r.mergedIntoBase,
      perIntegrationPoint,
    },
  });
  if (r.mergedIntoBase)
    await tracker.addEvent({
      agent: r.merged.length === 1 ? r.merged[0]! : null,
      kind: 'merge',
      message: `merged ${r.merged.map((a) => `crew/${a}`).join(', ')} into ${r.base} (${r.head.slice(0, 7)})`,
      data: { merged: r.merged, base: r.base, head: r.head },
    });
  const results = checkResults(ctx, r);
  const where = `${r.base}${r.merged.length ? ` + ${r.merged.map((a) => `crew/${a}`).join(', ')}` : ''}`;
  await recordChecks(tracker, results, 'merge', r.head, where);
  if (closeFrom) await closePassing(tracker, results, r, closeFrom);
}

/** `merge AGENT`: only when every open task issue of the agent is ready for review. */
export async function mergeAgent(
  o: Omit<IntegrateOptions, 'agents' | 'merge'> & { agent: string },
): Promise<IntegrationResult> {
  const label = agentLabel(o.ctx.plan, o.agent);
  if (!label)
    throw new UserError(
      `no agent '${o.agent}' in the plan (agents: ${o.ctx.plan.agents.map((a) => a.id).join(', ')})`,
    );
  const open = await o.tracker.listIssues({ state: 'open', label: [label] });
  // Integration issues carry both agents' labels but close once integrated, after the merge.
  const notReady = open.filter(
    (i) => !i.key?.startsWith('integration/') && !i.labels.includes('ready-for-review'),
  );
  if (notReady.length > 0)
    throw new UserError(
      `${o.agent}: ${notReady.length} open issues are not ready for review (${notReady.map((i) => `#${i.number}`).join(', ')}); nothing merged`,
    );
  const result = await integrate({ ...o, agents: [o.agent], merge: true });
  if (result.conflicts.length > 0)
    throw new UserError(
      `crew/${o.agent} conflicts with ${result.base}: ${result.conflicts[0]!.files.join(', ')}; nothing merged`,
    );
  if (result.failed > 0)
    throw new UserError(
      `${o.agent}: ${result.failed} integration tests fail (${result.points
        .filter((p) => p.status !== 'passed')
        .map((p) => p.id)
        .join(', ')}); nothing merged`,
    );
  if (result.merged.length === 0)
    throw new UserError(`crew/${o.agent} has nothing that ${result.base} lacks`);
  return result;
}
