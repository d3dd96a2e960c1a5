/**
 * What the tracker should hold for a plan: labels, milestones and issues, each with a stable key,
 * so that a sync can tell "already there" from "new" and "changed" whatever the numbers are.
 * Keys: label = its name; milestone/<id>; task/<milestone>/<deliverable>; integration/<id>.
 * Issues come from two templates, task.md and integration.md; dependencies between issues are
 * kept as keys here and written as "Depends on #N / Blocks #M" by the sync, once numbers exist.
 */
import { join } from 'node:path';
import { findEntry, pagesText } from './book.js';
import { issueGraph } from './graph.js';
import type { PlanContext } from './load.js';
import { loadTemplate, render } from './templates.js';
import type { LabelSpec, Plan } from './types.js';

export interface DesiredMilestone {
  key: string;
  title: string;
  description: string;
  /** ISO date when project.start is set. */
  dueOn: string | null;
}

export interface DesiredIssue {
  key: string;
  kind: 'task' | 'integration';
  /** The owning agent (tasks) or the producing agent (integration); null for the coordinator. */
  agent: string | null;
  module: string;
  /** The book chapters and sections it comes from (for an integration point: its producers'). */
  sections: string[];
  title: string;
  body: string;
  labels: string[];
  /** Key of its milestone. */
  milestone: string;
  depends: string[];
  blocks: string[];
}

export interface DesiredState {
  labels: LabelSpec[];
  milestones: DesiredMilestone[];
  issues: DesiredIssue[];
}

export const STATUS_LABELS: LabelSpec[] = [
  { name: 'blocked', color: 'd73a4a', description: 'waiting on another agent or an integration point' },
  { name: 'ready-for-review', color: '0e8a16', description: 'done by the agent; the coordinator reviews it' },
  { name: 'integration-needed', color: 'fbca04', description: 'an interface between two agents' },
];

// Distinct, readable label colours for agents (GitHub's own palette).
const AGENT_COLORS = ['1d76db', '5319e7', 'b60205', '0052cc', 'c5def5', 'bfd4f2', 'd4c5f9', 'f9d0c4'];

export function agentLabel(plan: Plan, agentId: string): string | null {
  const i = plan.agents.findIndex((a) => a.id === agentId);
  return i < 0 ? null : `agent-${i + 1}-${agentId}`;
}

export function milestoneLabel(plan: Plan, milestoneId: string): string | null {
  const i = plan.milestones.findIndex((m) => m.id === milestoneId);
  return i < 0 ? null : `milestone-${i + 1}`;
}

function dueOn(plan: Plan, day: number): string | null {
  if (!plan.project.start) return null;
  const d = new Date(`${plan.project.start}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + day);
  return d.toISOString().replace('.000Z', 'Z');
}

/** Markdown list of the book sections behind an issue, with their page ranges. */
export function sectionList(ctx: PlanContext, refs: string[]): string {
  return refs
    .map((ref) => {
      const e = findEntry(ctx.structure, ref);
      if (!e) return `- ${ref} (not in the book)`;
      const subs = e.children.length
        ? '\n' +
          e.children.map((c) => `  - ${c.number ? `${c.number} ` : ''}${c.title}, ${pagesText(c)}`).join('\n')
        : '';
      return `- ${e.number ?? e.id} ${e.title}, ${pagesText(e)}${subs}`;
    })
    .join('\n');
}

export function desiredState(ctx: PlanContext): DesiredState {
  const { plan } = ctx;
  const dir = plan.project.templates ? join(ctx.dir, plan.project.templates) : null;
  const taskTemplate = loadTemplate('task.md', dir);
  const integrationTemplate = loadTemplate('integration.md', dir);

  const labels: LabelSpec[] = [
    ...plan.agents.map((a, i) => ({
      name: agentLabel(plan, a.id)!,
      color: AGENT_COLORS[i % AGENT_COLORS.length]!,
      description: `agent ${a.id}: ${a.role}`.slice(0, 100),
    })),
    ...plan.milestones.map((m) => ({
      name: milestoneLabel(plan, m.id)!,
      color: 'c2e0c6',
      description: m.title.slice(0, 100),
    })),
    ...STATUS_LABELS,
    ...plan.labels,
  ];

  const milestones: DesiredMilestone[] = plan.milestones.map((m) => ({
    key: `milestone/${m.id}`,
    title: m.title,
    description:
      `Owner: ${m.owner}. Planned day ${m.day}.` +
      (m.depends.length ? ` Depends on: ${m.depends.join(', ')}.` : '') +
      (m.deliverables.length ? ` Deliverables: ${m.deliverables.map((d) => d.title).join('; ')}.` : ''),
    dueOn: dueOn(plan, m.day),
  }));

  const issues: DesiredIssue[] = issueGraph(plan).map((g) => {
    const milestone = plan.milestones.find((m) => m.id === g.milestone)!;
    const base = {
      key: g.key,
      kind: g.kind,
      agent: g.agent,
      module: g.module,
      sections: g.sections,
      milestone: `milestone/${g.milestone}`,
      depends: g.depends,
      blocks: g.blocks,
    };
    if (g.kind === 'task') {
      const d = g.deliverable!;
      const owner = plan.agents.find((a) => a.id === milestone.owner);
      return {
        ...base,
        title: d.title,
        body: render(
          taskTemplate,
          {
            title: d.title,
            milestone: milestone.title,
            day: milestone.day,
            owner: owner ? `${owner.id} (${owner.role})` : milestone.owner,
            module: g.module,
            sections: sectionList(ctx, d.sections),
            accept: d.accept
              ? `The acceptance check \`${d.accept}\` passes on the merged result: \`llm-crew test --merge\` then closes this issue.`
              : 'No acceptance check: the coordinator closes this issue by hand.',
          },
          'task.md',
        ),
        labels: [agentLabel(plan, milestone.owner), milestoneLabel(plan, milestone.id)].filter(
          (l): l is string => l !== null,
        ),
      };
    }
    const x = g.point!;
    return {
      ...base,
      title: `Integration: ${x.id} (${x.module}, ${x.from} -> ${x.to})`,
      body: render(
        integrationTemplate,
        {
          id: x.id,
          from: x.from,
          to: x.to,
          module: x.module,
          interface: x.interface,
          day: x.day,
          test: x.test,
          sections: sectionList(ctx, g.sections),
        },
        'integration.md',
      ),
      labels: [
        'integration-needed',
        agentLabel(plan, x.from)!,
        agentLabel(plan, x.to)!,
        milestoneLabel(plan, milestone.id)!,
      ],
    };
  });
  return { labels, milestones, issues };
}
