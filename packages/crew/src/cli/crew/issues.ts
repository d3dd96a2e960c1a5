// llm-crew issues sync | list | show | comment | label | close: the same commands on both trackers.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError, UserError } from 'llm-scratch-core/errors';
import {
  agentLabel,
  desiredState,
  loadPlan,
  parsePlan,
  readPlanText,
  type Plan,
} from '../../crew/plan/index.js';
import { DEFAULT_DB, openTracker, syncTracker, type Issue, type Tracker } from '../../crew/tracker/index.js';
import { withNotify } from '../../crew/tracker/notify.js';
import { defineCommand } from 'llm-scratch-core/cli/command';

export const trackerOptions = {
  plan: { type: 'string', value: 'FILE', description: 'the plan', default: 'crew.yaml' },
  tracker: {
    type: 'string',
    value: 'local|github',
    choices: ['local', 'github'],
    description: "the backend (default: the plan's project.tracker, else local)",
  },
  db: {
    type: 'string',
    value: 'FILE',
    description:
      "the local tracker's database (default: $LLM_CREW_DB, else .crew/tracker.db beside the plan)",
  },
  json: { type: 'boolean', description: 'print JSON' },
} as const;

export interface TrackerArgs {
  plan: string;
  tracker?: string;
  db?: string;
}

/** The plan when there is one (list and friends work without it), and the tracker it points at. */
export async function withTracker<T>(
  o: TrackerArgs,
  stderr: (t: string) => void,
  fn: (tracker: Tracker, plan: Plan | null) => Promise<T>,
  { existing = false } = {},
): Promise<T> {
  // In an agent's session (`llm-crew up`), LLM_CREW_PLAN and LLM_CREW_DB name the crew's plan and
  // tracker, which a worktree's own .crew/ does not hold (CREW_*: the names of earlier crews).
  const crewPlan = process.env.LLM_CREW_PLAN ?? process.env.CREW_PLAN;
  const planFile = o.plan === trackerOptions.plan.default && crewPlan ? crewPlan : o.plan;
  // Only the default plan may be absent; a plan named with --plan must be there.
  const named = o.plan !== trackerOptions.plan.default;
  const plan = named || existsSync(planFile) ? parsePlan(readPlanText(planFile), planFile) : null;
  const kind = o.tracker ?? plan?.project.tracker ?? 'local';
  if (kind !== 'local' && kind !== 'github')
    throw new UsageError(`--tracker expects local or github, got '${kind}'`);
  const dir = plan ? dirname(resolve(planFile)) : process.cwd();
  const db = o.db ?? process.env.LLM_CREW_DB ?? process.env.CREW_DB;
  // Reading issues must not leave an empty tracker in a directory that had none.
  if (existing && kind === 'local' && !existsSync(db ?? join(dir, DEFAULT_DB)))
    throw new UserError(
      `${db ?? join(dir, DEFAULT_DB)}: no tracker here; 'llm-crew issues sync' makes it from crew.yaml`,
    );
  const log = (m: string) => stderr(`${m}\n`);
  const tracker = withNotify(
    openTracker({ kind, dir, db, repo: plan?.project.repo, log }),
    plan?.notify ?? [],
    {
      project: plan?.project.name ?? 'crew',
      cwd: dir,
      log,
    },
  );
  try {
    return await fn(tracker, plan);
  } finally {
    await tracker.close();
  }
}

function issueNumber(positionals: string[]): number {
  if (positionals.length === 0) throw new UsageError('missing the issue NUMBER');
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
  const n = Number(positionals[0]!.replace(/^#/, ''));
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`expected an issue number, got '${positionals[0]}'`);
  return n;
}

function issueLine(i: Issue): string {
  const labels = i.labels.length ? `  [${i.labels.join(', ')}]` : '';
  return `#${String(i.number).padEnd(4)} ${i.state === 'closed' ? '(closed) ' : ''}${i.title}${labels}`;
}

export const issuesSyncCommand = defineCommand({
  name: 'issues sync',
  summary: "Create or update the plan's labels, milestones and issues in the tracker (idempotent)",
  usage: '[--tracker local|github] [--dry-run]',
  options: {
    ...trackerOptions,
    'dry-run': { type: 'boolean', description: 'print what would change, change nothing' },
  },
  examples: [
    'llm-crew issues sync --dry-run',
    'llm-crew issues sync',
    'GH_TOKEN=... llm-crew issues sync --tracker github',
  ],
  async run({ options, positionals, stdout, stderr }) {
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const ctx = loadPlan(options.plan);
    const desired = desiredState(ctx);
    const result = await withTracker(options, stderr, (t) =>
      syncTracker(t, desired, options['dry-run'] === true),
    );
    if (options.json) {
      stdout(JSON.stringify(result, null, 2) + '\n');
      return;
    }
    const verb = (a: string) => (result.dryRun ? `would ${a}` : a === 'create' ? 'created' : 'updated');
    const lines = result.actions.map(
      (a) =>
        `${verb(a.action)} ${a.kind} ${a.number ? `#${a.number} ` : ''}${a.title}${a.fields ? ` (${a.fields.join(', ')})` : ''}`,
    );
    const c = result.counts;
    const sum = (k: keyof typeof c) =>
      `${c[k].create} ${k}s ${result.dryRun ? 'to create' : 'created'}, ${c[k].update} ${result.dryRun ? 'to update' : 'updated'}, ${c[k].unchanged} unchanged`;
    stdout([...lines, `${sum('label')}; ${sum('milestone')}; ${sum('issue')}`].join('\n') + '\n');
  },
});

export const issuesListCommand = defineCommand({
  name: 'issues list',
  summary: 'List issues, filtered by agent, milestone, label and state',
  usage: '[--agent A] [--milestone M] [--label L] [--state open|closed|all]',
  options: {
    ...trackerOptions,
    agent: { type: 'string', value: 'A', description: "an agent id: the issues with that agent's label" },
    milestone: {
      type: 'string',
      value: 'M',
      description: 'a milestone id from the plan, or a milestone title',
    },
    label: { type: 'strings', value: 'L', description: 'a label the issues carry (repeatable)' },
    state: {
      type: 'string',
      value: 'open|closed|all',
      description: 'which issues',
      default: 'open',
      choices: ['open', 'closed', 'all'],
    },
  },
  examples: ['llm-crew issues list --agent ch3-4', 'llm-crew issues list --label blocked --json'],
  async run({ options, positionals, stdout, stderr }) {
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const state = options.state as 'open' | 'closed' | 'all';
    const issues = await withTracker(
      options,
      stderr,
      async (t, plan) => {
        const labels = [...(options.label ?? [])];
        if (options.agent) {
          let label = plan ? agentLabel(plan, options.agent) : null;
          if (!label)
            label =
              (await t.listLabels())
                .map((l) => l.name)
                .find((n) => new RegExp(`^agent-\\d+-${options.agent}$`).test(n)) ?? null;
          if (!label) throw new UserError(`no agent '${options.agent}'${plan ? ` in ${options.plan}` : ''}`);
          labels.push(label);
        }
        const milestone = options.milestone
          ? (plan?.milestones.find((m) => m.id === options.milestone)?.title ?? options.milestone)
          : undefined;
        return t.listIssues({ state, label: labels, milestone });
      },
      { existing: true },
    );
    if (options.json) stdout(JSON.stringify({ issues }, null, 2) + '\n');
    else stdout(issues.length ? issues.map(issueLine).join('\n') + '\n' : 'no issues\n');
  },
});

export const issuesShowCommand = defineCommand({
  name: 'issues show',
  summary: 'Show one issue with its comments',
  usage: 'NUMBER',
  options: trackerOptions,
  examples: ['llm-crew issues show 3', 'llm-crew issues show 3 --json'],
  async run({ options, positionals, stdout, stderr }) {
    const n = issueNumber(positionals);
    const { issue, comments } = await withTracker(
      options,
      stderr,
      async (t) => ({ issue: await t.getIssue(n), comments: await t.listComments(n) }),
      { existing: true },
    );
    if (options.json) {
      stdout(JSON.stringify({ issue, comments }, null, 2) + '\n');
      return;
    }
    const head = [
      issueLine(issue),
      `milestone: ${issue.milestone ?? '(none)'}; key: ${issue.key ?? '(none)'}; updated ${issue.updatedAt}`,
      '',
      issue.body.replace(/\s+$/, ''),
    ];
    const tail = comments.map((c) => `\n--- ${c.author}, ${c.createdAt}\n${c.body}`);
    stdout([...head, ...tail].join('\n') + '\n');
  },
});

export const issuesCommentCommand = defineCommand({
  name: 'issues comment',
  summary: 'Comment on an issue',
  usage: 'NUMBER --body TEXT',
  options: {
    ...trackerOptions,
    body: { type: 'string', value: 'TEXT', required: true, description: 'the comment' },
    key: {
      type: 'string',
      value: 'K',
      description: 'a key for the comment: repeating the command with the same key adds nothing',
    },
    author: {
      type: 'string',
      value: 'NAME',
      description: 'who writes (local tracker; default $LLM_CREW_AGENT, else $USER)',
    },
  },
  examples: ["llm-crew issues comment 3 --body 'tokenizer interface ready'"],
  async run({ options, positionals, stdout, stderr }) {
    const n = issueNumber(positionals);
    const author = options.author ?? process.env.LLM_CREW_AGENT ?? process.env.USER ?? 'local';
    const comment = await withTracker(
      options,
      stderr,
      (t) => t.addComment(n, options.body, author, options.key ?? null),
      { existing: true },
    );
    stdout(options.json ? JSON.stringify({ issue: n, comment }, null, 2) + '\n' : `commented on #${n}\n`);
  },
});

export const issuesLabelCommand = defineCommand({
  name: 'issues label',
  summary:
    'Add or remove labels on an issue (adding a label it has, or removing one it lacks, changes nothing)',
  usage: 'NUMBER [--add L]... [--remove L]...',
  options: {
    ...trackerOptions,
    add: { type: 'strings', value: 'L', description: 'a label to add (repeatable)' },
    remove: { type: 'strings', value: 'L', description: 'a label to remove (repeatable)' },
  },
  examples: ['llm-crew issues label 3 --add ready-for-review --remove blocked'],
  async run({ options, positionals, stdout, stderr }) {
    const n = issueNumber(positionals);
    const add = options.add ?? [];
    const remove = options.remove ?? [];
    if (add.length === 0 && remove.length === 0) throw new UsageError('give --add L or --remove L');
    const issue = await withTracker(options, stderr, (t) => t.editLabels(n, add, remove), {
      existing: true,
    });
    stdout(options.json ? JSON.stringify({ issue }, null, 2) + '\n' : `${issueLine(issue)}\n`);
  },
});

export const issuesCloseCommand = defineCommand({
  name: 'issues close',
  summary: 'Close an issue, optionally with a comment (closing a closed issue changes nothing)',
  usage: 'NUMBER [--comment TEXT]',
  options: {
    ...trackerOptions,
    comment: { type: 'string', value: 'TEXT', description: 'a closing comment' },
  },
  examples: ["llm-crew issues close 3 --comment 'merged in 1a2b3c'"],
  async run({ options, positionals, stdout, stderr }) {
    const n = issueNumber(positionals);
    const issue = await withTracker(
      options,
      stderr,
      async (t) => {
        const before = await t.getIssue(n);
        if (before.state === 'closed') return before;
        if (options.comment)
          await t.addComment(n, options.comment, process.env.LLM_CREW_AGENT ?? process.env.USER ?? 'local');
        return t.updateIssue(n, { state: 'closed' });
      },
      { existing: true },
    );
    stdout(options.json ? JSON.stringify({ issue }, null, 2) + '\n' : `${issueLine(issue)}\n`);
  },
});

export const issuesCommands = [
  issuesSyncCommand,
  issuesListCommand,
  issuesShowCommand,
  issuesCommentCommand,
  issuesLabelCommand,
  issuesCloseCommand,
];
