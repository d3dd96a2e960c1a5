// crew.yaml: the seed parses and checks; bad input names the field path and the line; init
// proposes contiguous, page-balanced groups; documents render from overridable templates.
import fc from 'fast-check';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  balancedGroups,
  checkPlan,
  desiredState,
  dueDayIssues,
  findCycle,
  loadPlan,
  moduleName,
  parsePlan,
  planDocuments,
  planToYaml,
  PlanError,
  proposePlan,
  withLines,
} from '../../../src/crew/plan/index.js';
import type { Entry } from '../../../src/crew/book/types.js';
import { crew } from '../dashboard/fixtures.js';
import { llmBook, SEED_YAML, seedDir, TEST_COMMAND } from './fixtures.js';

function planError(text: string): PlanError {
  try {
    parsePlan(text);
  } catch (err) {
    if (err instanceof PlanError) return err;
    throw err;
  }
  throw new Error('expected a PlanError');
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('crew.yaml schema', () => {
  it('reads the seed plan and fills the defaults', () => {
    const plan = parsePlan(SEED_YAML);
    expect(plan.agents.map((a) => [a.id, a.chapters])).toEqual([
      ['foundation', ['1', '2']],
      ['architecture', ['3', '4']],
      ['training', ['5']],
      ['application', ['6', '7']],
    ]);
    expect(plan.agents[0]!.session).toBe('crew-foundation');
    expect(plan.agents[0]!.command).toBe('claude');
    expect(plan.project.tracker).toBe('local');
    expect(plan.project.start).toBe('2026-12-01');
    expect(plan.milestones).toHaveLength(5);
    expect(plan.integration).toHaveLength(4);
    expect(checkPlan(plan, llmBook())).toEqual([]);
  });

  it('names the field path and the line of a bad field', () => {
    const text = SEED_YAML.replace('chapters: [3, 4]', 'chapters: three-and-four');
    const err = planError(text);
    expect(err.message).toBe(
      `crew.yaml:${lineOf(text, 'three-and-four')}: agents[1].chapters: expected a list, got string "three-and-four"`,
    );
  });

  it('reports a typo as an unknown field, and a missing one at its parent', () => {
    const text = SEED_YAML.replace('    modules: [pretrain]', '    moduls: [pretrain]').replace(
      '    title: "M3: Training"\n',
      '',
    );
    const err = planError(text);
    expect(err.issues.map((i) => `${i.line}: ${i.path}: ${i.message}`)).toEqual([
      `${lineOf(text, 'moduls')}: agents[2].moduls: unknown field (expected one of: id, role, session, chapters, modules, program, permissions, command, brief)`,
      `${lineOf(text, '- id: m3')}: milestones[2].title: missing (required)`,
    ]);
    expect(err.message).toContain("(and 1 more; run 'llm-crew plan --check')");
  });

  it('checks references, ids and values', () => {
    const text = SEED_YAML.replace('from: training\n', 'from: trainer\n')
      .replace('owner: application', 'owner: nobody')
      .replace('tracker: local', '')
      .replace('repo: acme/llm-scratch', 'repo: not a repo')
      .replace('day: 16', 'day: -1');
    const messages = planError(text).issues.map((i) => `${i.path}: ${i.message}`);
    expect(messages).toEqual([
      "project.repo: expected OWNER/NAME, got 'not a repo'",
      'milestones[4].day: expected a whole number >= 0, got number -1',
      "milestones[3].owner: 'nobody' is not an agent id (or 'coordinator')",
      "integration[3].from: 'trainer' is not an agent id",
    ]);
  });

  it('gives the line of a YAML syntax error', () => {
    const text = SEED_YAML.replace('  - id: training\n', '  - id: training\n   bad: [\n');
    const err = planError(text);
    expect(err.issues[0]!.line).toBe(lineOf(text, 'bad: ['));
    expect(err.message).toMatch(/^crew\.yaml:\d+: not valid YAML: /);
  });

  it('checks chapter ownership, sections and dependency cycles against the book', () => {
    const text = SEED_YAML.replace('chapters: [5]', 'chapters: [4, 9]')
      .replace('sections: ["5.4"]', 'sections: ["5.9"]')
      .replace('    day: 3\n', '    day: 3\n    depends: [m4]\n');
    const plan = parsePlan(text);
    expect(findCycle(plan)).toEqual(['m1', 'm4', 'm3', 'm2', 'm1']);
    const issues = withLines(text, checkPlan(plan, llmBook()));
    expect(issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      "agents[2].chapters[0]: chapter 4 is already owned by agent 'architecture'",
      'agents[2].chapters[1]: the book has no chapter 9 (it has 1, 2, 3, 4, 5, 6, 7)',
      'agents: no agent owns chapter 5 (Pretraining on unlabeled data)',
      'milestones[2].deliverables[1].sections[0]: the book has no chapter or section 5.9',
      'milestones[0].depends: dependency cycle: m1 -> m4 -> m3 -> m2 -> m1',
      'milestones[0].depends[0]: m1 (due day 3) depends on m4, due later (day 14)',
    ]);
    expect(issues[0]!.line).toBe(lineOf(text, 'chapters: [4, 9]'));
  });
});

describe('llm-crew init: a plan from a book', () => {
  it('balances contiguous groups by pages', () => {
    expect(balancedGroups([12, 30, 22, 20, 40, 18, 24], 4)).toEqual([[0, 1], [2, 3], [4], [5, 6]]);
    expect(balancedGroups([5, 5, 5], 3)).toEqual([[0], [1], [2]]);
    expect(balancedGroups([100, 1, 1, 1], 2)).toEqual([[0], [1, 2, 3]]);
  });

  it('names modules from chapter titles', () => {
    expect(moduleName('Working with text data')).toBe('text-data');
    expect(moduleName('Coding attention mechanisms')).toBe('attention-mechanisms');
    expect(moduleName('Implementing a GPT model from scratch to generate text')).toBe('gpt-model');
    expect(moduleName('Fine-tuning for classification')).toBe('fine-tuning-classification');
  });

  it('proposes agents 1-2 / 3-4 / 5 / 6-7, a milestone each plus integration, and a valid plan', () => {
    const plan = proposePlan(llmBook(), {
      agents: 4,
      structurePath: 'structure.json',
      testCommand: TEST_COMMAND,
    });
    expect(plan.agents.map((a) => a.chapters)).toEqual([['1', '2'], ['3', '4'], ['5'], ['6', '7']]);
    expect(plan.agents.map((a) => a.id)).toEqual(['ch1-2', 'ch3-4', 'ch5', 'ch6-7']);
    expect(plan.milestones.map((m) => m.owner)).toEqual(['ch1-2', 'ch3-4', 'ch5', 'ch6-7', 'coordinator']);
    expect(plan.integration.map((x) => `${x.from}>${x.to}:${x.module}`)).toEqual([
      'ch1-2>ch3-4:text-data',
      'ch3-4>ch5:gpt-model',
      'ch5>ch6-7:pretraining-unlabeled',
    ]);
    // Round trip through YAML, then the same checks a user's plan gets.
    const again = parsePlan(planToYaml(plan));
    expect(again).toEqual(plan);
    expect(checkPlan(again, llmBook())).toEqual([]);
    expect(() =>
      proposePlan(llmBook(), { agents: 8, structurePath: 's.json', testCommand: TEST_COMMAND }),
    ).toThrow(/only 7 chapters/);
  });
});

describe('documents', () => {
  it('writes the plan, the assignments and one brief per agent, with sections and pages', () => {
    const ctx = loadPlan(join(seedDir(), 'crew.yaml'));
    const docs = planDocuments(ctx);
    expect(docs.map((d) => d.path)).toEqual([
      'IMPLEMENTATION_PLAN.md',
      'AGENT_ASSIGNMENTS.md',
      'briefs/foundation.md',
      'briefs/architecture.md',
      'briefs/training.md',
      'briefs/application.md',
    ]);
    const training = docs[4]!.text;
    expect(training).toContain('# Brief for training: Training');
    expect(training).toContain('- 5 Pretraining on unlabeled data, p. 85-124 (PDF 105-144)');
    expect(training).toContain('- Pretraining loop and evaluation (`task/m3/pretraining`)');
    expect(training).toContain('- foundation provides `text` to you by day 4');
    expect(training).toContain('`feat(pretrain): ...`');
    expect(docs[0]!.text).toContain('| tokenizer-interface | foundation | architecture | fundamentals |');
  });

  it('takes a template from project.templates and rejects an unknown placeholder', () => {
    const dir = seedDir(
      SEED_YAML.replace('  start: 2026-12-01\n', '  start: 2026-12-01\n  templates: tpl\n'),
    );
    mkdirSync(join(dir, 'tpl'));
    writeFileSync(join(dir, 'tpl', 'brief.md'), 'Agent {{agent}} owns {{chapters}}.\n');
    writeFileSync(join(dir, 'tpl', 'task.md'), '{{title}} in {{module}}\n');
    const ctx = loadPlan(join(dir, 'crew.yaml'));
    expect(planDocuments(ctx)[2]!.text).toBe('Agent foundation owns 1, 2.\n');
    expect(desiredState(ctx).issues[0]!.body).toBe('Tokenizers and vocabulary in fundamentals\n');
    writeFileSync(join(dir, 'tpl', 'brief.md'), 'Agent {{agnet}}\n');
    expect(() => planDocuments(loadPlan(join(dir, 'crew.yaml')))).toThrow(
      /template brief.md: unknown placeholder \{\{agnet\}\}/,
    );
    expect(readFileSync(join(dir, 'crew.yaml'), 'utf8')).toContain('templates: tpl');
  });

  it("lists an agent's chunk files and summaries from the book split", () => {
    const dir = seedDir(
      SEED_YAML.replace('  structure: structure.json\n', '  structure: structure.json\n  chunks: chunks\n'),
    );
    mkdirSync(join(dir, 'chunks'));
    const chunk = {
      chunk: 6,
      title: '5 Pretraining on unlabeled data',
      entries: ['6'],
      file: '06-pretraining.pdf',
      markdown: '06-pretraining.md',
    };
    writeFileSync(
      join(dir, 'chunks', 'splits.json'),
      JSON.stringify({ format: 'llm-crew/book-splits', version: 1, chunks: [chunk] }),
    );
    writeFileSync(
      join(dir, 'chunks', 'summaries.json'),
      JSON.stringify({ chunks: [{ chunk: 6, summary: 'Trains the GPT.' }] }),
    );
    const docs = planDocuments(loadPlan(join(dir, 'crew.yaml')));
    expect(docs[4]!.text).toContain(
      '- 5 Pretraining on unlabeled data: `chunks/06-pretraining.pdf`, `chunks/06-pretraining.md`\n  Trains the GPT.',
    );
    expect(docs[2]!.text).toContain('(no chunk covers these chapters)');
  });
});

describe('due days agree with dependencies', () => {
  it('plan --check rejects an issue that waits for one due later, naming the field and the line', async () => {
    // The interface foundation -> architecture planned after the architecture tasks that use it.
    const late = SEED_YAML.replace(
      '    day: 3\n    test: npx vitest run test/integration/tokenizer',
      '    day: 9\n    test: npx vitest run test/integration/tokenizer',
    );
    expect(late).not.toBe(SEED_YAML);
    const dir = seedDir(late);
    const r = await crew(dir, 'plan', '--check');
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe(
      `llm-crew plan: crew.yaml:${lineOf(late, '      - { id: attention')}: milestones[1].deliverables[0]: task/m2/attention (due day 7) depends on integration/tokenizer-interface (due day 9), due later (and 1 more; run 'llm-crew plan --check')`,
    );
    expect(dueDayIssues(parsePlan(late)).map((i) => i.path)).toEqual([
      'milestones[1].deliverables[0]',
      'milestones[1].deliverables[1]',
    ]);
    // A milestone after one it depends on.
    const early = SEED_YAML.replace('    day: 7\n    depends: [m1]', '    day: 2\n    depends: [m1]');
    expect(dueDayIssues(parsePlan(early)).map((i) => `${i.path}: ${i.message}`)).toContain(
      'milestones[1].depends[0]: m2 (due day 2) depends on m1, due later (day 3)',
    );
    expect(dueDayIssues(parsePlan(SEED_YAML))).toEqual([]);
  });

  it("init's proposals never contradict themselves, whatever the chapters' lengths", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 12 }),
        (pages, agents) => {
          fc.pre(agents <= pages.length);
          const book = llmBook();
          const body = book.entries.filter((e) => e.kind === 'chapter');
          const chapters = pages.map((n, i) => ({
            ...body[i % body.length]!,
            id: String(i + 2),
            number: String(i + 1),
            pageCount: n,
            children: [],
          }));
          const plan = proposePlan(
            { ...book, entries: chapters },
            { agents, structurePath: 's.json', testCommand: TEST_COMMAND },
          );
          expect(dueDayIssues(plan)).toEqual([]);
          expect(plan.milestones.flatMap((m) => m.deliverables).every((d) => d.accept !== null)).toBe(true);
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });
});

describe('books without numbered chapters', () => {
  /** The seed book with no printed numbers and chapter 5 grown to 250 pages in ten sections. */
  function referenceManual() {
    const book = llmBook();
    const strip = (e: Entry): Entry => ({ ...e, number: null, children: e.children.map(strip) });
    const entries = book.entries.map(strip);
    const big = entries.find((e) => e.title === 'Pretraining on unlabeled data')!;
    big.pageCount = 250;
    big.children = Array.from({ length: 10 }, (_, j) => ({
      ...big.children[0]!,
      id: `${big.id}.${j + 1}`,
      title: `topic${j + 1}`,
      pageCount: 25,
    }));
    return { ...book, entries };
  }

  it('plans one task per chapter by its id, a giant chapter split by its sections into parts', () => {
    const book = referenceManual();
    const plan = proposePlan(book, { agents: 3, structurePath: 's.json', testCommand: TEST_COMMAND });
    expect(plan.agents.flatMap((a) => a.chapters)).toEqual(['2', '3', '4', '5', '6', '7', '8']);
    const tasks = plan.milestones.flatMap((m) => m.deliverables);
    const parts = tasks.filter((d) => d.id.startsWith('ch6-'));
    expect(parts.map((d) => [d.id, d.module])).toEqual([
      ['ch6-1', 'pretraining-unlabeled-1'],
      ['ch6-2', 'pretraining-unlabeled-2'],
      ['ch6-3', 'pretraining-unlabeled-3'],
    ]);
    // Ten sections of 25 pages in three contiguous parts of three or four, each in order.
    expect(parts.flatMap((d) => d.sections)).toEqual(Array.from({ length: 10 }, (_, j) => `6.${j + 1}`));
    expect(parts.map((d) => d.sections.length).sort()).toEqual([3, 3, 4]);
    expect(parts[0]!.title).toBe(
      `Pretraining on unlabeled data (part 1 of 3: topic1 to topic${parts[0]!.sections.length})`,
    );
    expect(parts[0]!.accept).toBe('npx vitest run test/pretraining-unlabeled-1.test.ts');
    expect(tasks.find((d) => d.id === 'ch2')!.title).toBe('Understanding large language models');
    expect(checkPlan(parsePlan(planToYaml(plan)), book)).toEqual([]);
  });
});
