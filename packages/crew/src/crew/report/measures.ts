/**
 * The experiment's measures, computed from what the crew leaves behind: the tracker's issues and
 * events and the git history. Definitions (docs/crew-dashboard.md says the same):
 * - an issue's closing time is its last update once closed (what both trackers report);
 * - an issue belongs to the agent that owns its milestone (tasks) or produces the interface
 *   (integration points), as the plan made it;
 * - time blocked: per agent, the union of the spans its open issues have carried `blocked` (from the
 *   issue's last update, at or after the label went on: a lower bound) and the spans from the
 *   supervisor giving up on it to its next start;
 * - integration overhead: from the interface being ready (the last of the producer's issues that the
 *   integration issue depends on closed) to the consumer integrating it (the integration issue closed).
 */
import type { CheckStatus } from '../agents/checks.js';
import type { CrewEvent } from '../agents/types.js';
import { checkStates, checksOverTime, tally, type CheckState } from '../dashboard/checks.js';
import type { CommitInfo } from '../dashboard/commits.js';
import { closedAt, dayZero } from '../dashboard/snapshot.js';
import type { Plan } from '../plan/index.js';
import type { Issue } from '../tracker/index.js';

export interface Point {
  agent: string;
  at: string;
  /** Running total up to and including this point. */
  total: number;
}

export interface AgentMeasures {
  agent: string;
  issuesClosed: number;
  issuesOpen: number;
  commits: number;
  /** Commits whose subject breaks `type(scope): subject`. */
  offConvention: number;
  blockedHours: number;
  restarts: number;
  conflicts: number;
  /** Its acceptance checks passing now, of all it has (each check's latest result). */
  checksPassing: number;
  checks: number;
}

export interface MilestoneChecks {
  id: string;
  title: string;
  checksPassing: number;
  checks: number;
  /** Its issues closed, of all. */
  closed: number;
  issues: number;
}

export interface IntegrationMeasure {
  id: string;
  from: string;
  to: string;
  issue: number | null;
  /** When the producer's issues were all closed; null while one is open. */
  readyAt: string | null;
  integratedAt: string | null;
  /** integratedAt - readyAt, or now - readyAt while waiting (pending). */
  overheadHours: number | null;
  pending: boolean;
  /** Its test's latest result; null before it first ran. */
  check: CheckStatus | null;
}

export interface Report {
  project: string;
  from: string;
  to: string;
  agents: AgentMeasures[];
  closedOverTime: Point[];
  commitsOverTime: Point[];
  /** Each agent's acceptance checks passing, after each change. */
  checksOverTime: Point[];
  milestones: MilestoneChecks[];
  integration: IntegrationMeasure[];
  conflicts: CrewEvent[];
  restarts: number;
}

export interface ReportInput {
  plan: Plan;
  issues: Issue[];
  events: CrewEvent[];
  /** Commits since day 0, attributed to agents (readCommits). */
  commits: CommitInfo[];
  now: Date;
}

const HOUR_MS = 3_600_000;
// Four decimals: a short run still shows its seconds.
const hours = (ms: number) => Math.round((ms / HOUR_MS) * 10_000) / 10_000;

/** The agent an issue counts for, from its tracker key as the plan's sync wrote it. */
export function issueAgent(plan: Plan, issue: Issue): string | null {
  const task = /^task\/([^/]+)\//.exec(issue.key ?? '');
  if (task) {
    const owner = plan.milestones.find((m) => m.id === task[1])?.owner;
    return plan.agents.some((a) => a.id === owner) ? owner! : null;
  }
  const point = /^integration\/(.+)$/.exec(issue.key ?? '');
  if (point) return plan.integration.find((x) => x.id === point[1])?.from ?? null;
  return null;
}

/** Issue numbers on the "Depends on #1, #2" line the sync writes. */
export function dependsOn(issue: Issue): number[] {
  const line = /^Depends on (.+)$/m.exec(issue.body);
  return line ? [...line[1]!.matchAll(/#(\d+)/g)].map((m) => Number(m[1])) : [];
}

function runningTotals(items: { agent: string; at: string }[]): Point[] {
  const totals = new Map<string, number>();
  return [...items]
    .sort((a, b) => a.at.localeCompare(b.at))
    .map(({ agent, at }) => {
      const total = (totals.get(agent) ?? 0) + 1;
      totals.set(agent, total);
      return { agent, at, total };
    });
}

type Span = [number, number];

function unionMs(spans: Span[]): number {
  const sorted = spans.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  let total = 0;
  let end = -Infinity;
  for (const [a, b] of sorted) {
    if (b <= end) continue;
    total += b - Math.max(a, end);
    end = b;
  }
  return total;
}

function blockedSpans(plan: Plan, issues: Issue[], events: CrewEvent[], now: Date): Map<string, Span[]> {
  const spans = new Map<string, Span[]>(plan.agents.map((a) => [a.id, []]));
  for (const i of issues) {
    const agent = issueAgent(plan, i);
    if (agent && i.state === 'open' && i.labels.includes('blocked'))
      spans.get(agent)!.push([Date.parse(i.updatedAt), now.getTime()]);
  }
  const sorted = [...events].sort((a, b) => a.at.localeCompare(b.at) || a.id - b.id);
  sorted.forEach((e, k) => {
    if (e.kind !== 'gave-up' || !e.agent || !spans.has(e.agent)) return;
    const next = sorted
      .slice(k + 1)
      .find((n) => (n.agent === e.agent && (n.kind === 'start' || n.kind === 'restart')) || n.kind === 'up');
    spans.get(e.agent)!.push([Date.parse(e.at), next ? Date.parse(next.at) : now.getTime()]);
  });
  return spans;
}

function integrationMeasures(
  plan: Plan,
  issues: Issue[],
  now: Date,
  checks: CheckState[],
): IntegrationMeasure[] {
  const byNumber = new Map(issues.map((i) => [i.number, i]));
  return plan.integration.map((x) => {
    const issue = issues.find((i) => i.key === `integration/${x.id}`) ?? null;
    const producers = issue ? dependsOn(issue).map((n) => byNumber.get(n)) : [];
    const closes = producers.map((p) => (p ? closedAt(p) : null));
    const readyAt =
      issue && closes.every((c) => c !== null)
        ? closes.reduce<string>((a, b) => (b! > a ? b! : a), issue.createdAt)
        : null;
    const integratedAt = issue ? closedAt(issue) : null;
    const end = integratedAt ? Date.parse(integratedAt) : now.getTime();
    return {
      id: x.id,
      from: x.from,
      to: x.to,
      issue: issue?.number ?? null,
      readyAt,
      integratedAt,
      overheadHours: readyAt ? hours(Math.max(0, end - Date.parse(readyAt))) : null,
      pending: readyAt !== null && integratedAt === null,
      check: checks.find((c) => c.key === `integration/${x.id}`)?.status ?? null,
    };
  });
}

export function computeReport(r: ReportInput): Report {
  const { plan, issues, events, commits, now } = r;
  const closed = issues
    .map((i) => ({ agent: issueAgent(plan, i), at: closedAt(i) }))
    .filter((c): c is { agent: string; at: string } => c.agent !== null && c.at !== null);
  const agentCommits = commits.filter((c): c is CommitInfo & { agent: string } => c.agent !== null);
  const blocked = blockedSpans(plan, issues, events, now);
  const count = (kind: CrewEvent['kind'], agent: string) =>
    events.filter((e) => e.kind === kind && e.agent === agent).length;
  const checks = checkStates(plan, events);
  const perAgent = tally(checks, (c) => c.agent);
  const perMilestone = tally(checks, (c) => c.milestone);
  const agents = plan.agents.map((a) => {
    const mine = commits.filter((c) => c.agent === a.id);
    return {
      agent: a.id,
      issuesClosed: closed.filter((c) => c.agent === a.id).length,
      issuesOpen: issues.filter((i) => i.state === 'open' && issueAgent(plan, i) === a.id).length,
      commits: mine.length,
      offConvention: mine.filter((c) => !c.conventional).length,
      blockedHours: hours(unionMs(blocked.get(a.id)!)),
      restarts: count('restart', a.id),
      conflicts: count('conflict', a.id),
      checksPassing: perAgent.get(a.id)?.passing ?? 0,
      checks: perAgent.get(a.id)?.total ?? 0,
    };
  });
  const milestones = plan.milestones.map((m) => {
    const mine = issues.filter((i) => i.milestone === m.title);
    return {
      id: m.id,
      title: m.title,
      checksPassing: perMilestone.get(m.id)?.passing ?? 0,
      checks: perMilestone.get(m.id)?.total ?? 0,
      closed: mine.filter((i) => i.state === 'closed').length,
      issues: mine.length,
    };
  });
  return {
    project: plan.project.name,
    from: dayZero(plan, issues, now).toISOString(),
    to: now.toISOString(),
    agents,
    closedOverTime: runningTotals(closed),
    commitsOverTime: runningTotals(agentCommits.map((c) => ({ agent: c.agent, at: c.at }))),
    checksOverTime: checksOverTime(plan, events),
    milestones,
    integration: integrationMeasures(plan, issues, now, checks),
    conflicts: events.filter((e) => e.kind === 'conflict'),
    restarts: events.filter((e) => e.kind === 'restart').length,
  };
}
