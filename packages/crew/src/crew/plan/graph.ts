/**
 * The issues a plan implies and how they wait for each other, before any template or tracker:
 * one task per deliverable (task/<milestone>/<deliverable>) and one per integration point
 * (integration/<id>). An interface waits for the producer's tasks on its module (all of the
 * producer's tasks when none names it); the consumer's tasks wait for the interface. desired.ts
 * renders these into issues; check.ts holds them against the milestones' days.
 */
import type { Deliverable, IntegrationPoint, Plan } from './types.js';

export interface PlannedIssue {
  key: string;
  kind: 'task' | 'integration';
  /** The owning agent (tasks) or the producing agent (integration); null for the coordinator. */
  agent: string | null;
  module: string;
  sections: string[];
  /** The milestone's id. */
  milestone: string;
  /** The acceptance command: a task's accept, an integration point's test. */
  accept: string | null;
  deliverable: Deliverable | null;
  point: IntegrationPoint | null;
  depends: string[];
  blocks: string[];
}

/** The milestone an integration point's issue goes in: its own, the coordinator's, else the producer's. */
export function pointMilestone(plan: Plan, x: IntegrationPoint): string {
  return (
    x.milestone ??
    plan.milestones.find((m) => m.owner === 'coordinator')?.id ??
    plan.milestones.find((m) => m.owner === x.from)?.id ??
    plan.milestones[0]!.id
  );
}

export function issueGraph(plan: Plan): PlannedIssue[] {
  const issues: PlannedIssue[] = [];
  for (const m of plan.milestones) {
    const owner = plan.agents.find((a) => a.id === m.owner);
    for (const d of m.deliverables)
      issues.push({
        key: `task/${m.id}/${d.id}`,
        kind: 'task',
        agent: owner?.id ?? null,
        module: d.module ?? owner?.modules[0] ?? 'core',
        sections: d.sections,
        milestone: m.id,
        accept: d.accept,
        deliverable: d,
        point: null,
        depends: [],
        blocks: [],
      });
  }
  for (const x of plan.integration) {
    const tasksOf = (agent: string) => issues.filter((i) => i.kind === 'task' && i.agent === agent);
    const onModule = tasksOf(x.from).filter((t) => t.module === x.module);
    const producers = onModule.length ? onModule : tasksOf(x.from);
    const consumers = tasksOf(x.to);
    const issue: PlannedIssue = {
      key: `integration/${x.id}`,
      kind: 'integration',
      agent: x.from,
      module: x.module,
      sections: [...new Set(producers.flatMap((p) => p.sections))],
      milestone: pointMilestone(plan, x),
      accept: x.test,
      deliverable: null,
      point: x,
      depends: [],
      blocks: [],
    };
    issues.push(issue);
    for (const p of producers) {
      issue.depends.push(p.key);
      p.blocks.push(issue.key);
    }
    for (const c of consumers) {
      issue.blocks.push(c.key);
      c.depends.push(issue.key);
    }
  }
  return issues;
}
