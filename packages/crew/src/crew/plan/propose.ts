/**
 * `llm-crew init`: a first plan from a book's structure. Chapters (the numbered ones; in a book
 * without numbers, every chapter of the body, as a reference manual's package chapters) are cut
 * into N contiguous groups whose page counts are as even as possible (least sum of squared group
 * sizes, by dynamic programming over the split points); each group is an agent with one milestone,
 * whose deliverables are its chapters, a giant chapter split by its sections into parts of about
 * MAX_TASK_PAGES. Each group hands an interface to the next, due on the producer's day; the
 * consumer's milestone depends on the producer's and is due no earlier, so that no issue ever
 * depends on one due later (check.ts). An integration milestone owned by the coordinator closes
 * the plan. Every task and interface carries an acceptance command written from the project's
 * test command (stack.ts).
 */
import { UserError } from 'llm-scratch-core/errors';
import type { BookStructure, Entry } from '../book/types.js';
import { entryRef, planChapters } from './book.js';
import { slug } from './schema.js';
import { testFor } from './stack.js';
import {
  PLAN_VERSION,
  type Agent,
  type Deliverable,
  type IntegrationPoint,
  type Milestone,
  type Plan,
} from './types.js';

// A planning guess, not a measurement: how many pages of a technical book an agent turns into
// tested code per day. Only the planned days depend on it.
const PAGES_PER_DAY = 15;
// A task an agent can close in about a week; a chapter longer than this is split by its sections.
export const MAX_TASK_PAGES = 100;

// Words that say nothing about what a chapter builds, dropped before naming its module.
const FILLER = new Set(
  (
    'a an and the of for to in on with from into by as at its your our using how what why ' +
    'scratch coding implementing building understanding working introducing introduction basics ' +
    'chapter getting started toward towards'
  ).split(' '),
);

/** A module name from a chapter title: its first two meaningful words ("Coding attention mechanisms" -> attention-mechanisms). */
export function moduleName(title: string): string {
  const words = title
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, ' ')
    .split(' ')
    .filter((w) => w && !FILLER.has(w) && !/^\d+$/.test(w));
  return slug(words.slice(0, 2).join('-')) || 'module';
}

/** Split sizes into k contiguous non-empty groups with the least sum of squared group totals. */
export function balancedGroups(sizes: number[], k: number): number[][] {
  const n = sizes.length;
  const prefix = [0];
  for (const s of sizes) prefix.push(prefix[prefix.length - 1]! + s);
  // cost[j][i]: best cost of the first i items in j groups; cut[j][i]: where the last group starts.
  const cost = Array.from({ length: k + 1 }, () => new Array<number>(n + 1).fill(Infinity));
  const cut = Array.from({ length: k + 1 }, () => new Array<number>(n + 1).fill(0));
  cost[0]![0] = 0;
  for (let j = 1; j <= k; j++)
    for (let i = j; i <= n; i++)
      for (let s = j - 1; s < i; s++) {
        const g = prefix[i]! - prefix[s]!;
        const c = cost[j - 1]![s]! + g * g;
        if (c < cost[j]![i]!) {
          cost[j]![i] = c;
          cut[j]![i] = s;
        }
      }
  const groups: number[][] = [];
  let end = n;
  for (let j = k; j >= 1; j--) {
    const start = cut[j]![end]!;
    groups.unshift(Array.from({ length: end - start }, (_, i) => start + i));
    end = start;
  }
  return groups;
}

export interface ProposeOptions {
  agents: number;
  /** structure.json as crew.yaml will reference it (relative to crew.yaml). */
  structurePath: string;
  /** The project's test command template (stack.ts): the acceptance checks are written from it. */
  testCommand: string;
  chunksDir?: string | null;
  project?: string;
  command?: string;
}

const pagesOf = (g: Entry[]) => g.reduce((sum, c) => sum + c.pageCount, 0);

/** One deliverable per chapter; a chapter past MAX_TASK_PAGES as parts of contiguous sections. */
export function chapterDeliverables(c: Entry, testCommand: string): Deliverable[] {
  const ref = entryRef(c);
  const module = moduleName(c.title);
  const title = c.number !== null ? `Chapter ${c.number}: ${c.title}` : c.title;
  const parts = Math.min(c.children.length, Math.ceil(c.pageCount / MAX_TASK_PAGES));
  if (parts <= 1)
    return [{ id: `ch${slug(ref)}`, title, sections: [ref], module, accept: testFor(testCommand, module) }];
  return balancedGroups(
    c.children.map((s) => s.pageCount),
    parts,
  ).map((group, k) => {
    const sections = group.map((i) => c.children[i]!);
    const partModule = `${module}-${k + 1}`;
    return {
      id: `ch${slug(ref)}-${k + 1}`,
      title: `${title} (part ${k + 1} of ${parts}: ${sections[0]!.title} to ${sections[sections.length - 1]!.title})`,
      sections: sections.map(entryRef),
      module: partModule,
      accept: testFor(testCommand, partModule),
    };
  });
}

export function proposePlan(structure: BookStructure, options: ProposeOptions): Plan {
  const chs = planChapters(structure);
  if (chs.length === 0)
    throw new UserError(`${options.structurePath}: the book has no chapters in its body to plan from`);
  const n = options.agents;
  if (!Number.isInteger(n) || n < 1)
    throw new UserError(`--agents expects a positive whole number, got ${n}`);
  if (n > chs.length)
    throw new UserError(
      `--agents ${n}: the book has only ${chs.length} chapters, one agent needs at least one`,
    );

  const groups = balancedGroups(
    chs.map((c) => c.pageCount),
    n,
  ).map((g) => g.map((i) => chs[i]!));
  const range = (g: Entry[]) =>
    g.length === 1 ? entryRef(g[0]!) : `${entryRef(g[0]!)}-${entryRef(g[g.length - 1]!)}`;

  const deliverables = groups.map((g) => g.flatMap((c) => chapterDeliverables(c, options.testCommand)));
  const agents: Agent[] = groups.map((g, i) => {
    const id = slug(`ch${range(g)}`);
    return {
      id,
      role: g.map((c) => c.title).join('; '),
      session: `crew-${id}`,
      chapters: g.map(entryRef),
      modules: [...new Set(deliverables[i]!.map((d) => d.module!))],
      program: options.command ? 'plain' : 'claude',
      permissions: 'ask',
      command: options.command ?? 'claude',
      brief: null,
    };
  });
  const milestones: Milestone[] = [];
  groups.forEach((g, i) => {
    // A consumer is due no earlier than the interface it waits for.
    const own = Math.max(1, Math.ceil(pagesOf(g) / PAGES_PER_DAY));
    milestones.push({
      id: `m${i + 1}`,
      title: `M${i + 1}: chapters ${range(g)}`,
      owner: agents[i]!.id,
      deliverables: deliverables[i]!,
      depends: i === 0 ? [] : [`m${i}`],
      day: i === 0 ? own : Math.max(own, milestones[i - 1]!.day),
    });
  });
  const integration: IntegrationPoint[] = agents.slice(1).map((to, i) => {
    const from = agents[i]!;
    const module = from.modules[from.modules.length - 1]!;
    return {
      id: `${from.id}-to-${to.id}`,
      from: from.id,
      to: to.id,
      module,
      interface: `the exports of ${module} that chapters ${range(groups[i + 1]!)} build on`,
      day: milestones[i]!.day,
      test: testFor(options.testCommand, `integration/${module}`),
      milestone: null,
    };
  });
  const lastDay = Math.max(...milestones.map((m) => m.day));
  milestones.push({
    id: `m${n + 1}`,
    title: `M${n + 1}: integration`,
    owner: 'coordinator',
    deliverables: [],
    depends: milestones.map((m) => m.id),
    day: lastDay + 2,
  });
  return {
    version: PLAN_VERSION,
    project: {
      name: options.project ?? (slug(structure.title ?? '') || 'book'),
      repo: null,
      tracker: 'local',
      start: null,
      templates: null,
      test_command: options.testCommand,
    },
    book: {
      file: structure.source?.file ?? null,
      structure: options.structurePath,
      chunks: options.chunksDir ?? null,
    },
    agents,
    milestones,
    integration,
    labels: [],
    notify: [],
  };
}
