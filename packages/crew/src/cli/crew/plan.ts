// llm-crew init | plan: thin commands over src/crew/plan.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError, UserError } from 'llm-scratch-core/errors';
import { writeFileAtomic } from 'llm-scratch-core/io/atomic';
import {
  checkPlan,
  formatIssue,
  loadPlan,
  parsePlan,
  planDocuments,
  writeDocuments,
  planToYaml,
  PLAN_SCHEMA_FILE,
  PlanError,
  proposePlan,
  readPlanText,
  readStructure,
  withLines,
  type PlanIssue,
} from '../../crew/plan/index.js';
import { stackOrDefault } from '../../crew/plan/stack.js';
import { defineCommand } from 'llm-scratch-core/cli/command';
import { requireOutputDir, requireOutputFile } from 'llm-scratch-core/cli/file-checks';

function noPositionals(positionals: string[]): void {
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
}

export const initCommand = defineCommand({
  name: 'init',
  summary:
    "Propose a plan (crew.yaml) from a book: chapters in N contiguous groups balanced by pages, each task with an acceptance check in the project's test command",
  usage: '--book structure.json --agents N',
  options: {
    book: {
      type: 'string',
      value: 'FILE',
      required: true,
      description: 'structure.json from llm-crew book analyze or split',
    },
    agents: { type: 'integer', value: 'N', required: true, min: 1, description: 'number of coding agents' },
    out: { type: 'string', value: 'FILE', description: 'where to write the plan', default: 'crew.yaml' },
    chunks: { type: 'string', value: 'DIR', description: 'the directory written by llm-crew book split' },
    project: { type: 'string', value: 'NAME', description: 'project name (default: from the book title)' },
    'test-command': {
      type: 'string',
      value: 'CMD',
      description:
        "how the project runs a test, {module} standing for a task's module (default: from package.json, pyproject.toml, Cargo.toml, go.mod or a Makefile, else make test)",
    },
    force: { type: 'boolean', description: 'replace an existing plan that differs from the proposal' },
    json: { type: 'boolean', description: 'print the plan as JSON' },
  },
  examples: [
    'llm-crew init --book structure.json --agents 4',
    'llm-crew init --book chunks/structure.json --agents 4 --chunks chunks',
    "llm-crew init --book structure.json --agents 3 --test-command 'pytest tests/test_{module_snake}.py'",
  ],
  run({ options, positionals, stdout, stderr }) {
    noPositionals(positionals);
    const out = requireOutputFile('out', options.out);
    const base = dirname(resolve(out));
    const rel = (p: string) => relative(base, resolve(p)) || '.';
    const given = options['test-command'];
    if (given !== undefined && given.trim() === '')
      throw new UsageError("--test-command expects a command, got ''");
    const structure = readStructure(options.book);
    let testCommand = given?.trim();
    if (testCommand === undefined) {
      const { stack, warning } = stackOrDefault(base);
      if (warning) stderr(`warning: ${warning}\n`);
      testCommand = stack.testCommand;
    }
    const plan = proposePlan(structure, {
      agents: options.agents,
      testCommand,
      structurePath: rel(options.book),
      chunksDir: options.chunks ? rel(options.chunks) : null,
      project: options.project,
    });
    const text = planToYaml(plan, { schema: rel(fileURLToPath(PLAN_SCHEMA_FILE)) });
    let status: 'written' | 'unchanged';
    if (existsSync(out) && readFileSync(out, 'utf8') === text) status = 'unchanged';
    else if (existsSync(out) && !options.force)
      throw new UserError(
        `${out} exists and differs from the proposal; keep your edits, or rerun with --force to replace it`,
      );
    else {
      writeFileAtomic(out, [text]);
      status = 'written';
    }
    stderr(`${out}: ${status}\n`);
    if (options.json) stdout(JSON.stringify({ file: out, status, plan }, null, 2) + '\n');
    else
      stdout(
        plan.agents
          .map(
            (a, i) =>
              `${a.id}: chapters ${a.chapters.join(', ')} (${plan.milestones[i]!.deliverables.length} deliverables, day ${plan.milestones[i]!.day})`,
          )
          .join('\n') +
          `\n${plan.milestones.length} milestones, ${plan.integration.length} integration points -> ${out}\n`,
      );
  },
});

export const planCommand = defineCommand({
  name: 'plan',
  summary: 'Check the plan, or write IMPLEMENTATION_PLAN.md, AGENT_ASSIGNMENTS.md and one brief per agent',
  usage: '[--check]',
  options: {
    plan: { type: 'string', value: 'FILE', description: 'the plan', default: 'crew.yaml' },
    check: {
      type: 'boolean',
      description:
        'only validate: schema, every chapter owned once, acyclic dependencies, due days that agree with them, agents exist',
    },
    out: {
      type: 'string',
      value: 'DIR',
      description: "where the documents go (default: the plan's directory)",
    },
    json: { type: 'boolean', description: 'print the result as JSON' },
  },
  examples: ['llm-crew plan --check', 'llm-crew plan', 'llm-crew plan --out docs/crew'],
  run({ options, positionals, stdout, stderr }) {
    noPositionals(positionals);
    const file = options.plan;
    if (options.check) {
      const text = readPlanText(file);
      let issues: PlanIssue[];
      let summary = '';
      try {
        const plan = parsePlan(text, file);
        issues = withLines(
          text,
          checkPlan(plan, readStructure(resolve(dirname(resolve(file)), plan.book.structure))),
        );
        summary = `${plan.agents.length} agents, ${plan.milestones.length} milestones, ${plan.integration.length} integration points`;
      } catch (err) {
        if (!(err instanceof PlanError)) throw err;
        issues = err.issues;
      }
      if (options.json) stdout(JSON.stringify({ file, ok: issues.length === 0, issues }, null, 2) + '\n');
      else if (issues.length === 0) stdout(`${file}: ok (${summary})\n`);
      for (const i of issues.slice(1)) stderr(`${formatIssue(file, i)}\n`);
      if (issues.length > 0) throw new PlanError(file, issues);
      return;
    }
    const ctx = loadPlan(file);
    const outDir = options.out !== undefined ? requireOutputDir('out', options.out) : ctx.dir;
    const docs = planDocuments(ctx);
    const written = writeDocuments(docs, outDir);
    if (options.json) stdout(JSON.stringify({ documents: written }, null, 2) + '\n');
    else stdout(written.map((w) => `${w.changed ? 'wrote    ' : 'unchanged'} ${w.path}`).join('\n') + '\n');
  },
});

export const planCommands = [initCommand, planCommand];
