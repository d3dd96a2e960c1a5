/**
 * `llm-crew test [--merge]` and `llm-crew merge AGENT`: the agents' branches merged, in the order
 * of their milestones' dependencies, into a temporary worktree of the base branch; each integration
 * point's test run there. A branch that conflicts is left out and its points count as conflicts.
 * The result is commented on the integration issues (labelled `blocked` while they fail) and
 * recorded as a `test` event; with --merge, a fully green result moves the base branch to it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../errors.js';
import { agentLabel, type PlanContext } from '../plan/index.js';
import type { Tracker } from '../tracker/index.js';
import { run, runOk } from './exec.js';
import { aheadOf, branchExists, currentBranch, repoRoot } from './git.js';
import { readRuntime } from './layout.js';
import { splitWords } from './words.js';

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

const tail = (text: string, lines = 20) => text.trimEnd().split('\n').slice(-lines).join('\n');

async function integrationIssues(tracker: Tracker): Promise<Map<string, number>> {
  const issues = await tracker.listIssues({ state: 'all' });
  const map = new Map<string, number>();
  for (const i of issues)
    if (i.key?.startsWith('integration/')) map.set(i.key.slice('integration/'.length), i.number);
  return map;
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
    const issueOf = await integrationIssues(tracker);
    const conflicted = new Set(conflicts.map((c) => c.agent));
    const points: PointResult[] = [];
    for (const p of ctx.plan.integration) {
      if (o.agents && !o.agents.includes(p.from) && !o.agents.includes(p.to)) continue;
      const base: Omit<PointResult, 'status' | 'exitCode' | 'output'> = {
        id: p.id,
        command: p.test,
        issue: issueOf.get(p.id) ?? null,
      };
      if (conflicted.has(p.from) || conflicted.has(p.to)) {
        const who = [p.from, p.to].filter((a) => conflicted.has(a)).join(' and ');
        points.push({ ...base, status: 'conflict', exitCode: null, output: `not run: ${who} did not merge` });
        continue;
      }
      const argv = splitWords(p.test);
      const r = await run(argv[0]!, argv.slice(1), {
        cwd: dir,
        env: o.env,
        timeoutMs: o.timeoutMs ?? 600_000,
      }).catch((err: Error) => ({ code: 127, stdout: '', stderr: err.message }));
      points.push({
        ...base,
        status: r.code === 0 ? 'passed' : 'failed',
        exitCode: r.code,
        output: tail(`${r.stdout}\n${r.stderr}`),
      });
    }
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
    };
    await report(tracker, result);
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

async function report(tracker: Tracker, r: IntegrationResult): Promise<void> {
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
