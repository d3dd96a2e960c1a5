/**
 * `llm-crew plan`: IMPLEMENTATION_PLAN.md, AGENT_ASSIGNMENTS.md and one brief per agent, rendered
 * from templates.ts (overridable) with lists prepared here. Written atomically; a file whose text
 * has not changed is left alone, so rerunning the command touches nothing.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { writeFileAtomic } from 'llm-scratch-core/io/atomic';
import { findEntry, planChapters } from './book.js';
import { issueGraph } from './graph.js';
import { agentLabel, desiredState, sectionList } from './desired.js';
import type { PlanContext } from './load.js';
import { loadTemplate, render } from './templates.js';
import type { Agent } from './types.js';

export interface Document {
  /** Relative to the output directory. */
  path: string;
  text: string;
}

function table(head: string[], rows: string[][]): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

function chunkList(ctx: PlanContext, agent: Agent): string {
  if (!ctx.splits)
    return ctx.plan.book.chunks
      ? `(no splits.json in ${ctx.plan.book.chunks} yet)`
      : '(the book is not split yet: run `llm-crew book split`)';
  const ids = agent.chapters.map((c) => findEntry(ctx.structure, c)?.id).filter(Boolean) as string[];
  const mine = ctx.splits.chunks.filter((c) => c.entries.some((e) => ids.includes(e)));
  if (mine.length === 0) return '(no chunk covers these chapters)';
  return mine
    .map((c) => {
      const summary = ctx.summaries?.find((s) => s.chunk === c.chunk);
      const base = `${ctx.plan.book.chunks}/${c.file}`;
      return `- ${c.title}: \`${base}\`, \`${ctx.plan.book.chunks}/${c.markdown}\`${summary ? `\n  ${summary.refined ?? summary.summary}` : ''}`;
    })
    .join('\n');
}

export function planDocuments(ctx: PlanContext): Document[] {
  const { plan, structure } = ctx;
  const dir = plan.project.templates ? join(ctx.dir, plan.project.templates) : null;
  const desired = desiredState(ctx);
  const accepts = new Map(issueGraph(plan).map((g) => [g.key, g.accept]));
  const book = structure.title ?? plan.book.file ?? 'the book';
  const bookChapters = planChapters(structure);
  const chapterTitle = (n: string) => findEntry(structure, n)?.title ?? '?';

  const agentTable = table(
    ['agent', 'role', 'chapters', 'modules', 'session', 'label'],
    plan.agents.map((a) => [
      a.id,
      a.role,
      a.chapters.join(', '),
      a.modules.join(', '),
      a.session,
      agentLabel(plan, a.id)!,
    ]),
  );
  const milestones = plan.milestones
    .map((m) => {
      const deps = m.depends.length ? `; after ${m.depends.join(', ')}` : '';
      const items = m.deliverables.map((d) => `  - ${d.title} (${d.sections.join(', ')})`).join('\n');
      return `- **${m.title}** (owner ${m.owner}, day ${m.day}${deps})${items ? `\n${items}` : ''}`;
    })
    .join('\n');
  const integrationTable = plan.integration.length
    ? table(
        ['id', 'from', 'to', 'module', 'interface', 'day', 'test'],
        plan.integration.map((x) => [
          x.id,
          x.from,
          x.to,
          x.module,
          x.interface,
          String(x.day),
          `\`${x.test}\``,
        ]),
      )
    : '(none)';
  const docs: Document[] = [
    {
      path: 'IMPLEMENTATION_PLAN.md',
      text: render(
        loadTemplate('IMPLEMENTATION_PLAN.md', dir),
        {
          project: plan.project.name,
          book,
          chapterCount: bookChapters.length,
          pageCount: structure.pageCount,
          tracker: plan.project.tracker,
          agentTable,
          milestones,
          integrationTable,
        },
        'IMPLEMENTATION_PLAN.md',
      ),
    },
  ];

  const assignments = plan.agents
    .map((a) => {
      const chs = a.chapters.map((c) => `Chapter ${c}: ${chapterTitle(c)}`).join('; ');
      return `## ${a.id}: ${a.role}\n\n- Chapters: ${chs}\n- Modules: ${a.modules.join(', ') || '(none)'}\n- Session: \`${a.session}\`, program \`${a.program}\` (permissions \`${a.permissions}\`), command \`${a.command}\`\n- Brief: briefs/${a.id}.md`;
    })
    .join('\n\n');
  docs.push({
    path: 'AGENT_ASSIGNMENTS.md',
    text: render(
      loadTemplate('AGENT_ASSIGNMENTS.md', dir),
      { project: plan.project.name, assignments },
      'AGENT_ASSIGNMENTS.md',
    ),
  });

  for (const a of plan.agents) {
    const issues = desired.issues.filter(
      (i) =>
        i.agent === a.id ||
        (i.kind === 'integration' &&
          i.blocks.some((k) => desired.issues.find((x) => x.key === k)?.agent === a.id)),
    );
    const integration = plan.integration.filter((x) => x.from === a.id || x.to === a.id);
    const template = a.brief
      ? loadTemplate('brief.md', null, join(ctx.dir, a.brief))
      : loadTemplate('brief.md', dir);
    docs.push({
      path: join('briefs', `${a.id}.md`),
      text: render(
        template,
        {
          agent: a.id,
          role: a.role,
          book,
          session: a.session,
          chapters: a.chapters.join(', '),
          modules: a.modules.map((m) => `\`${m}\``).join(', ') || '(none named)',
          chapterList: sectionList(ctx, a.chapters),
          chunks: chunkList(ctx, a),
          issues:
            issues
              .map((i) => {
                const check = accepts.get(i.key);
                return `- ${i.title} (\`${i.key}\`)${check ? `; check: \`${check}\`` : ''}`;
              })
              .join('\n') || '(none)',
          integration:
            integration
              .map((x) =>
                x.from === a.id
                  ? `- You provide \`${x.module}\` to ${x.to} by day ${x.day}: ${x.interface}. Proof: \`${x.test}\``
                  : `- ${x.from} provides \`${x.module}\` to you by day ${x.day}: ${x.interface}. Proof: \`${x.test}\``,
              )
              .join('\n') || '(none)',
          commitExample: `e.g. \`feat(${a.modules[0] ?? a.id}): ...\``,
        },
        a.brief ?? 'brief.md',
      ),
    });
  }
  return docs;
}

export interface WrittenDocument {
  path: string;
  changed: boolean;
}

export function writeDocuments(docs: Document[], outDir: string): WrittenDocument[] {
  return docs.map((d) => {
    const file = join(outDir, d.path);
    const old = existsSync(file) ? readFileSync(file, 'utf8') : null;
    if (old === d.text) return { path: relative(process.cwd(), file) || file, changed: false };
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileAtomic(file, [d.text]);
    return { path: relative(process.cwd(), file) || file, changed: true };
  });
}
