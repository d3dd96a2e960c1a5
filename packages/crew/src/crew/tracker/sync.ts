/**
 * `llm-crew issues sync`: make the tracker hold what the plan says, touching only what differs.
 * Objects are matched by key (labels by name). Missing ones are created, changed ones updated;
 * labels that agents added to an issue stay, and a closed issue stays closed. Dependencies are
 * written as "Depends on #N / Blocks #M" once every issue has a number, so a first sync creates the
 * issues and then fills those lines in; a second sync finds nothing to do.
 */
import type { DesiredIssue, DesiredState } from '../plan/desired.js';
import type { Issue, Milestone, Tracker } from './types.js';

export interface SyncAction {
  action: 'create' | 'update';
  kind: 'label' | 'milestone' | 'issue';
  key: string;
  title: string;
  /** The fields that differ, for updates. */
  fields?: string[];
  number?: number;
}

export interface SyncResult {
  dryRun: boolean;
  actions: SyncAction[];
  counts: Record<'label' | 'milestone' | 'issue', { create: number; update: number; unchanged: number }>;
}

/** The body as the tracker should hold it: the template's text and the dependency lines. */
export function issueBody(issue: DesiredIssue, numbers: Map<string, number>): string {
  const ref = (key: string) => (numbers.has(key) ? `#${numbers.get(key)}` : '#?');
  const lines: string[] = [];
  if (issue.depends.length) lines.push(`Depends on ${issue.depends.map(ref).join(', ')}`);
  if (issue.blocks.length) lines.push(`Blocks ${issue.blocks.map(ref).join(', ')}`);
  const text = issue.body.replace(/\s+$/, '');
  return lines.length ? `${text}\n\n## Dependencies\n\n${lines.join('\n')}\n` : `${text}\n`;
}

const same = (a: string, b: string) => a.replace(/\s+$/, '') === b.replace(/\s+$/, '');

export async function syncTracker(
  tracker: Tracker,
  desired: DesiredState,
  dryRun = false,
): Promise<SyncResult> {
  const actions: SyncAction[] = [];
  const counts: SyncResult['counts'] = {
    label: { create: 0, update: 0, unchanged: 0 },
    milestone: { create: 0, update: 0, unchanged: 0 },
    issue: { create: 0, update: 0, unchanged: 0 },
  };
  const record = (a: SyncAction) => {
    actions.push(a);
    counts[a.kind][a.action]++;
  };

  const labels = new Map((await tracker.listLabels()).map((l) => [l.name, l]));
  for (const want of desired.labels) {
    const have = labels.get(want.name);
    if (!have) {
      record({ action: 'create', kind: 'label', key: want.name, title: want.name });
      if (!dryRun) await tracker.createLabel(want);
    } else if (have.color.toLowerCase() !== want.color || (have.description ?? '') !== want.description) {
      const fields = [
        have.color.toLowerCase() !== want.color ? 'color' : '',
        have.description !== want.description ? 'description' : '',
      ];
      record({
        action: 'update',
        kind: 'label',
        key: want.name,
        title: want.name,
        fields: fields.filter(Boolean),
      });
      if (!dryRun) await tracker.updateLabel(want.name, want);
    } else counts.label.unchanged++;
  }

  const milestones = await tracker.listMilestones();
  const byKey = new Map<string, Milestone>();
  for (const m of milestones) if (m.key) byKey.set(m.key, m);
  const numberOf = new Map<string, number | null>();
  for (const want of desired.milestones) {
    // A milestone made by hand with the same title is adopted rather than duplicated.
    const have = byKey.get(want.key) ?? milestones.find((m) => m.key === null && m.title === want.title);
    if (!have) {
      record({ action: 'create', kind: 'milestone', key: want.key, title: want.title });
      numberOf.set(want.key, dryRun ? null : (await tracker.createMilestone(want)).number);
      continue;
    }
    numberOf.set(want.key, have.number);
    const fields = [
      have.key !== want.key ? 'key' : '',
      have.title !== want.title ? 'title' : '',
      !same(have.description, want.description) ? 'description' : '',
      (have.dueOn ?? null)?.slice(0, 10) !== want.dueOn?.slice(0, 10) && want.dueOn !== null ? 'due' : '',
    ].filter(Boolean);
    if (fields.length) {
      record({
        action: 'update',
        kind: 'milestone',
        key: want.key,
        title: want.title,
        fields,
        number: have.number,
      });
      if (!dryRun) await tracker.updateMilestone(have.number, want);
    } else counts.milestone.unchanged++;
  }

  const existing = new Map<string, Issue>();
  for (const i of await tracker.listIssues({ state: 'all' })) if (i.key) existing.set(i.key, i);
  const numbers = new Map<string, number>();
  for (const [key, i] of existing) numbers.set(key, i.number);
  const milestoneTitle = new Map(desired.milestones.map((m) => [m.key, m.title]));

  // Pass 1: create what is missing, with the dependency numbers known so far.
  const created = new Set<string>();
  for (const want of desired.issues) {
    if (existing.has(want.key)) continue;
    record({ action: 'create', kind: 'issue', key: want.key, title: want.title });
    created.add(want.key);
    if (dryRun) continue;
    const issue = await tracker.createIssue({
      key: want.key,
      title: want.title,
      body: issueBody(want, numbers),
      labels: want.labels,
      milestone: numberOf.get(want.milestone) ?? null,
    });
    existing.set(want.key, issue);
    numbers.set(want.key, issue.number);
  }

  // Pass 2: bring every issue up to date, now that all numbers are known.
  for (const want of desired.issues) {
    const have = existing.get(want.key);
    if (!have) continue;
    const body = issueBody(want, numbers);
    const missingLabels = want.labels.filter((l) => !have.labels.includes(l));
    const fields = [
      have.title !== want.title ? 'title' : '',
      !same(have.body, body) ? 'body' : '',
      missingLabels.length ? 'labels' : '',
      have.milestone !== (milestoneTitle.get(want.milestone) ?? null) ? 'milestone' : '',
    ].filter(Boolean);
    if (fields.length === 0) {
      if (!created.has(want.key)) counts.issue.unchanged++;
      continue;
    }
    // Filling in the numbers of a just-created issue is part of creating it, not an update.
    if (!created.has(want.key))
      record({
        action: 'update',
        kind: 'issue',
        key: want.key,
        title: want.title,
        fields,
        number: have.number,
      });
    if (dryRun) continue;
    await tracker.updateIssue(have.number, {
      ...(fields.includes('title') ? { title: want.title } : {}),
      ...(fields.includes('body') ? { body } : {}),
      ...(fields.includes('labels') ? { labels: [...have.labels, ...missingLabels] } : {}),
      ...(fields.includes('milestone') ? { milestone: numberOf.get(want.milestone) ?? null } : {}),
    });
  }
  for (const a of actions) if (a.kind === 'issue' && a.action === 'create') a.number = numbers.get(a.key);
  return { dryRun, actions, counts };
}
