/**
 * `llm-crew plan --check`: what the schema cannot see alone. Every chapter of the book owned by
 * exactly one agent, every section a deliverable cites present in the book, milestone dependencies
 * without a cycle, and due days that agree with them: nothing waits for something due later.
 */
import { LineCounter, parseDocument, type Node } from 'yaml';
import type { BookStructure } from '../book/types.js';
import { entryRef, findEntry, planChapters } from './book.js';
import { issueGraph, type PlannedIssue } from './graph.js';
import type { PlanIssue } from './schema.js';
import type { Plan } from './types.js';

export function checkPlan(plan: Plan, structure: BookStructure): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const fail = (path: string, message: string) => issues.push({ path, line: null, message });

  const bookChapters = planChapters(structure);
  const known = new Set(bookChapters.map(entryRef));
  const owner = new Map<string, string>();
  plan.agents.forEach((a, i) =>
    a.chapters.forEach((c, j) => {
      const path = `agents[${i}].chapters[${j}]`;
      if (!known.has(c)) fail(path, `the book has no chapter ${c} (it has ${[...known].join(', ')})`);
      else if (owner.has(c)) fail(path, `chapter ${c} is already owned by agent '${owner.get(c)}'`);
      else owner.set(c, a.id);
    }),
  );
  for (const c of bookChapters)
    if (!owner.has(entryRef(c))) fail('agents', `no agent owns chapter ${entryRef(c)} (${c.title})`);

  plan.milestones.forEach((m, i) =>
    m.deliverables.forEach((d, j) =>
      d.sections.forEach((ref, k) => {
        if (!findEntry(structure, ref))
          fail(
            `milestones[${i}].deliverables[${j}].sections[${k}]`,
            `the book has no chapter or section ${ref}`,
          );
      }),
    ),
  );

  const cycle = findCycle(plan);
  if (cycle) {
    const i = plan.milestones.findIndex((m) => m.id === cycle[0]);
    fail(`milestones[${i}].depends`, `dependency cycle: ${cycle.join(' -> ')}`);
  }
  issues.push(...dueDayIssues(plan));
  return issues;
}

/**
 * A milestone that depends on one due later, and an issue that waits for one due later (a task is
 * due on its milestone's day, an interface on its own): the plan promises what it cannot keep.
 */
export function dueDayIssues(plan: Plan): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const index = new Map(plan.milestones.map((m, i) => [m.id, i]));
  const dayOf = (id: string) => plan.milestones[index.get(id)!]?.day ?? 0;
  plan.milestones.forEach((m, i) =>
    m.depends.forEach((d, j) => {
      if (index.has(d) && dayOf(d) > m.day)
        issues.push({
          path: `milestones[${i}].depends[${j}]`,
          line: null,
          message: `${m.id} (due day ${m.day}) depends on ${d}, due later (day ${dayOf(d)})`,
        });
    }),
  );
  // A task is due with its milestone; an interface on its own planned day.
  const due = (g: PlannedIssue) => (g.point ? g.point.day : dayOf(g.milestone));
  const graph = issueGraph(plan);
  const byKey = new Map(graph.map((g) => [g.key, g]));
  for (const g of graph) {
    const late = g.depends.map((k) => byKey.get(k)!).filter((d) => due(d) > due(g));
    if (late.length === 0) continue;
    const m = index.get(g.milestone)!;
    const path = g.deliverable
      ? `milestones[${m}].deliverables[${plan.milestones[m]!.deliverables.indexOf(g.deliverable)}]`
      : `integration[${plan.integration.indexOf(g.point!)}].day`;
    issues.push({
      path,
      line: null,
      message: `${g.key} (due day ${due(g)}) depends on ${late
        .map((d) => `${d.key} (due day ${due(d)})`)
        .join(', ')}, due later`,
    });
  }
  return issues;
}

/** A cycle among milestone dependencies as a list of ids (first = last), or null. */
export function findCycle(plan: Plan): string[] | null {
  const deps = new Map(plan.milestones.map((m) => [m.id, m.depends]));
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | null => {
    if (state.get(id) === 'done') return null;
    if (state.get(id) === 'open') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'open');
    stack.push(id);
    for (const d of deps.get(id) ?? []) {
      const found = visit(d);
      if (found) return found;
    }
    stack.pop();
    state.set(id, 'done');
    return null;
  };
  for (const m of plan.milestones) {
    const found = visit(m.id);
    if (found) return found;
  }
  return null;
}

/** Fills in the crew.yaml line of issues found after parsing, from their field path. */
export function withLines(text: string, issues: PlanIssue[]): PlanIssue[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  return issues.map((issue) => {
    if (issue.line !== null) return issue;
    const keys = [...issue.path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] ? Number(m[2]) : m[1]!));
    for (let n = keys.length; n > 0; n--) {
      const node = doc.getIn(keys.slice(0, n), true) as Node | undefined;
      if (node?.range) return { ...issue, line: lines.linePos(node.range[0]).line };
    }
    return issue;
  });
}
