/**
 * Progress by acceptance checks, from the tracker's `check` events (agents/checks.ts): each check's
 * latest result, wherever it ran (its agent's branch or the merged result), tallied per agent,
 * milestone and integration point, and how many of each agent's checks passed over time. The
 * dashboards and the report read these, so that they count the same way.
 */
import type { CheckEventData, CheckStatus } from '../agents/checks.js';
import { planChecks } from '../agents/checks.js';
import type { CrewEvent } from '../agents/types.js';
import type { Plan } from '../plan/index.js';

export interface CheckState {
  key: string;
  kind: 'task' | 'integration';
  agent: string | null;
  milestone: string;
  command: string;
  /** null: never run yet. */
  status: CheckStatus | null;
  scope: CheckEventData['scope'] | null;
  at: string | null;
}

export interface Tally {
  passing: number;
  total: number;
}

export interface CheckPoint {
  agent: string;
  at: string;
  /** The agent's checks passing at that moment. */
  total: number;
}

const checkData = (e: CrewEvent): CheckEventData | null =>
  e.kind === 'check' && e.data && typeof e.data.key === 'string' ? (e.data as CheckEventData) : null;

const inOrder = (events: CrewEvent[]) => [...events].sort((a, b) => a.at.localeCompare(b.at) || a.id - b.id);

/** Every check of the plan with its latest result. */
export function checkStates(plan: Plan, events: CrewEvent[]): CheckState[] {
  const latest = new Map<string, { d: CheckEventData; at: string }>();
  for (const e of inOrder(events)) {
    const d = checkData(e);
    if (d) latest.set(d.key, { d, at: e.at });
  }
  return planChecks(plan).map((c) => {
    const l = latest.get(c.key);
    return { ...c, status: l?.d.status ?? null, scope: l?.d.scope ?? null, at: l?.at ?? null };
  });
}

/** Passing of total per value of `by` (an agent id, a milestone id), in first-seen order. */
export function tally(states: CheckState[], by: (s: CheckState) => string | null): Map<string, Tally> {
  const out = new Map<string, Tally>();
  for (const s of states) {
    const k = by(s);
    if (k === null) continue;
    const t = out.get(k) ?? { passing: 0, total: 0 };
    t.total += 1;
    if (s.status === 'passed') t.passing += 1;
    out.set(k, t);
  }
  return out;
}

/** After each check event that changes an agent's count, how many of its checks pass. */
export function checksOverTime(plan: Plan, events: CrewEvent[]): CheckPoint[] {
  const known = new Map(planChecks(plan).map((c) => [c.key, c.agent]));
  const passing = new Map<string, boolean>();
  const count = new Map<string, number>();
  const points: CheckPoint[] = [];
  for (const e of inOrder(events)) {
    const d = checkData(e);
    const agent = d ? known.get(d.key) : undefined;
    if (!d || !agent) continue;
    const was = passing.get(d.key) ?? false;
    const now = d.status === 'passed';
    passing.set(d.key, now);
    if (was === now && points.some((p) => p.agent === agent)) continue;
    const total = (count.get(agent) ?? 0) + (now === was ? 0 : now ? 1 : -1);
    count.set(agent, total);
    points.push({ agent, at: e.at, total });
  }
  return points;
}
