/**
 * Everything the dashboard shows, gathered in one pass from the plan, the tracker (issues and the
 * runtime's events), git and a status source (`collectStatus` in production, anything in tests).
 * Both the terminal and the web dashboard render this one object, so they cannot disagree.
 */
import { now as clockNow } from 'llm-scratch-core/clock';
import { agentLabel, type Plan } from '../plan/index.js';
import type { Issue, Tracker } from '../tracker/index.js';
import type { AgentStatus, CrewEvent } from '../agents/types.js';
import type { CheckStatus } from '../agents/checks.js';
import {
  checkStates,
  checksOverTime,
  tally,
  type CheckPoint,
  type CheckState,
  type Tally,
} from './checks.js';
import { readCommits, type CommitInfo } from './commits.js';

export interface AgentRow extends AgentStatus {
  role: string;
  /** The agent's issues (by its agent label) open, closed and labelled blocked. */
  open: number;
  closed: number;
  blocked: number;
  /** Its acceptance checks passing, by each check's latest result (checks.ts). */
  checks: Tally;
}

export interface MilestoneProgress {
  id: string;
  title: string;
  owner: string;
  day: number;
  /** ISO date the plan gives it; null without project.start. */
  due: string | null;
  total: number;
  closed: number;
  blocked: number;
  /** done: every issue closed; late: open past its due date; open: otherwise. */
  state: 'done' | 'late' | 'open';
  /** Its issues' acceptance checks passing. */
  checks: Tally;
}

export interface IntegrationProgress {
  id: string;
  from: string;
  to: string;
  module: string;
  plannedDay: number;
  plannedDate: string;
  issue: number | null;
  /** closed: integrated; ready: labelled ready-for-review; blocked; open; missing: not synced yet. */
  state: 'closed' | 'ready' | 'blocked' | 'open' | 'missing';
  /** When it was integrated (the issue's last update once closed). */
  actualAt: string | null;
  /** Days from day 0 to actualAt, one decimal. */
  actualDay: number | null;
  /** Closed after its planned date, or still open past it. */
  late: boolean;
  /** Its test's latest result; null before it first ran. */
  check: CheckStatus | null;
}

export interface Snapshot {
  at: string;
  project: string;
  tracker: string;
  /** Day 0: project.start, else the first issue's creation. */
  start: string;
  agents: AgentRow[];
  milestones: MilestoneProgress[];
  integration: IntegrationProgress[];
  commits: CommitInfo[];
  /** The newest `test` event (its data holds the result), or null before the first `llm-crew test`. */
  lastTest: CrewEvent | null;
  /** The runtime's newest events, newest first; of the checks, only those that turned red. */
  events: CrewEvent[];
  /** Each agent's checks passing over time. */
  checksOverTime: CheckPoint[];
}

export interface SnapshotSources {
  plan: Plan;
  tracker: Tracker;
  /** The git repository of the project (crew.yaml's directory). */
  repo: string;
  status: () => Promise<AgentStatus[]>;
  now?: () => Date;
  /** How many commits and events to show (default 15 each). */
  commits?: number;
  events?: number;
}

const DAY_MS = 86_400_000;

/** Day 0 of the plan: project.start at midnight UTC, else the earliest issue's creation. */
export function dayZero(plan: Plan, issues: Issue[], now: Date): Date {
  if (plan.project.start) return new Date(`${plan.project.start}T00:00:00Z`);
  const first = issues.map((i) => Date.parse(i.createdAt)).reduce((a, b) => Math.min(a, b), now.getTime());
  return new Date(first);
}

export const dateOfDay = (start: Date, day: number) => new Date(start.getTime() + day * DAY_MS);
export const dayOf = (start: Date, at: Date) =>
  Math.round(((at.getTime() - start.getTime()) / DAY_MS) * 10) / 10;

/** A closed issue's closing time as the trackers report it: its last update. */
export const closedAt = (i: Issue): string | null => (i.state === 'closed' ? i.updatedAt : null);

function missingStatus(agent: Plan['agents'][number]): AgentStatus {
  return {
    agent: agent.id,
    session: agent.session,
    state: 'missing',
    pid: null,
    idleSeconds: null,
    activity: null,
    waitingForInput: false,
    issue: null,
    branch: null,
    worktree: null,
    ahead: null,
    lastCommit: null,
    dirtyFiles: 0,
    restarts: 0,
  };
}

const NO_CHECKS: Tally = { passing: 0, total: 0 };

function milestoneProgress(
  plan: Plan,
  issues: Issue[],
  start: Date,
  now: Date,
  checks: CheckState[],
): MilestoneProgress[] {
  const perMilestone = tally(checks, (c) => c.milestone);
  return plan.milestones.map((m) => {
    const mine = issues.filter((i) => i.milestone === m.title);
    const closed = mine.filter((i) => i.state === 'closed').length;
    const due = plan.project.start ? dateOfDay(start, m.day) : null;
    const done = mine.length > 0 && closed === mine.length;
    return {
      id: m.id,
      title: m.title,
      owner: m.owner,
      day: m.day,
      due: due ? due.toISOString().slice(0, 10) : null,
      total: mine.length,
      closed,
      blocked: mine.filter((i) => i.state === 'open' && i.labels.includes('blocked')).length,
      state: done ? 'done' : due && now.getTime() > due.getTime() + DAY_MS ? 'late' : 'open',
      checks: perMilestone.get(m.id) ?? NO_CHECKS,
    };
  });
}

function integrationProgress(
  plan: Plan,
  issues: Issue[],
  start: Date,
  now: Date,
  checks: CheckState[],
): IntegrationProgress[] {
  return plan.integration.map((x) => {
    const issue = issues.find((i) => i.key === `integration/${x.id}`) ?? null;
    const planned = dateOfDay(start, x.day);
    const at = issue ? closedAt(issue) : null;
    const state: IntegrationProgress['state'] = !issue
      ? 'missing'
      : issue.state === 'closed'
        ? 'closed'
        : issue.labels.includes('blocked')
          ? 'blocked'
          : issue.labels.includes('ready-for-review')
            ? 'ready'
            : 'open';
    // A point is due by the end of its planned day.
    const deadline = planned.getTime() + DAY_MS;
    return {
      id: x.id,
      from: x.from,
      to: x.to,
      module: x.module,
      plannedDay: x.day,
      plannedDate: planned.toISOString().slice(0, 10),
      issue: issue?.number ?? null,
      state,
      actualAt: at,
      actualDay: at ? dayOf(start, new Date(at)) : null,
      late: at ? Date.parse(at) > deadline : now.getTime() > deadline,
      check: checks.find((c) => c.key === `integration/${x.id}`)?.status ?? null,
    };
  });
}

export async function buildSnapshot(s: SnapshotSources): Promise<Snapshot> {
  const now = (s.now ?? clockNow)();
  const [issues, statuses, events, tests, checkEvents] = await Promise.all([
    s.tracker.listIssues({ state: 'all' }),
    s.status(),
    // Checks are tallied, not listed: only one turning red makes the list, so a test run of many
    // checks does not push the supervisor's events off it.
    s.tracker.listEvents({ limit: (s.events ?? 15) * 20 }),
    s.tracker.listEvents({ kind: 'test', limit: 1 }),
    s.tracker.listEvents({ kind: 'check' }),
  ]);
  const start = dayZero(s.plan, issues, now);
  const checks = checkStates(s.plan, checkEvents);
  const perAgent = tally(checks, (c) => c.agent);
  const agents: AgentRow[] = s.plan.agents.map((a) => {
    const label = agentLabel(s.plan, a.id)!;
    const mine = issues.filter((i) => i.labels.includes(label));
    return {
      ...(statuses.find((st) => st.agent === a.id) ?? missingStatus(a)),
      role: a.role,
      open: mine.filter((i) => i.state === 'open').length,
      closed: mine.filter((i) => i.state === 'closed').length,
      blocked: mine.filter((i) => i.state === 'open' && i.labels.includes('blocked')).length,
      checks: perAgent.get(a.id) ?? NO_CHECKS,
    };
  });
  const newestFirst = (a: CrewEvent, b: CrewEvent) => b.at.localeCompare(a.at) || b.id - a.id;
  return {
    at: now.toISOString(),
    project: s.plan.project.name,
    tracker: `${s.tracker.kind} ${s.tracker.where}`,
    start: start.toISOString(),
    agents,
    milestones: milestoneProgress(s.plan, issues, start, now, checks),
    integration: integrationProgress(s.plan, issues, start, now, checks),
    commits: readCommits(s.repo, { limit: s.commits ?? 15 }),
    lastTest: [...tests].sort(newestFirst)[0] ?? null,
    events: events
      .filter((e) => e.kind !== 'check' || e.data?.turnedRed === true)
      .sort(newestFirst)
      .slice(0, s.events ?? 15),
    checksOverTime: checksOverTime(s.plan, checkEvents),
  };
}
