// llm-crew test | merge: thin commands over src/crew/agents/integrate.ts.
import { UsageError, UserError } from 'llm-scratch-core/errors';
import { requireTools } from '../../crew/agents/exec.js';
import { integrate, mergeAgent, type IntegrationResult } from '../../crew/agents/integrate.js';
import { defineCommand } from 'llm-scratch-core/cli/command';
import { oneAgent, runtimeOptions, withCrew } from './runtime-context.js';

const options = {
  plan: runtimeOptions.plan,
  db: runtimeOptions.db,
  timeout: { type: 'number', value: 'S', description: 'seconds each test may run', default: 600, above: 0 },
  json: { type: 'boolean', description: 'print the result as JSON' },
} as const;

function summary(r: IntegrationResult): string {
  const lines = [
    `${r.base} + ${r.merged.length ? r.merged.map((a) => `crew/${a}`).join(', ') : 'nothing to merge'} (${r.head.slice(0, 7)})`,
    ...r.conflicts.map((c) => `conflict crew/${c.agent}: ${c.files.join(', ')}`),
    ...r.points.map((p) => `${p.status.padEnd(8)} ${p.id}: ${p.command}${p.issue ? ` (#${p.issue})` : ''}`),
    ...r.points.filter((p) => p.status === 'failed').map((p) => `--- ${p.id}\n${p.output}`),
    ...r.tasks.map((t) => `${t.status.padEnd(8)} ${t.key}: ${t.command}${t.issue ? ` (#${t.issue})` : ''}`),
    `${r.passed} passed, ${r.failed} failed, ${r.conflicts.length} conflicts${r.mergedIntoBase ? `; ${r.base} is now ${r.head.slice(0, 7)}` : ''}`,
    ...(r.tasks.length
      ? [`task checks: ${r.tasks.filter((t) => t.status === 'passed').length} of ${r.tasks.length} pass`]
      : []),
    ...(r.closed.length ? [`closed ${r.closed.map((n) => `#${n}`).join(', ')}`] : []),
  ];
  return lines.join('\n') + '\n';
}

export const testCommand = defineCommand({
  name: 'test',
  summary:
    "Merge the agents' branches in dependency order in a temporary worktree and run each integration point's test and each task's acceptance check; with --merge, close the issues whose check passes",
  usage: '[--merge]',
  options: {
    ...options,
    merge: {
      type: 'boolean',
      description:
        'when everything merges and the integration points pass, move the base branch to the result and close the issues whose check passes there',
    },
  },
  examples: ['llm-crew test', 'llm-crew test --merge --json'],
  async run({ options, positionals, stdout, stderr }) {
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    await requireTools(['git']);
    const r = await withCrew(options, stderr, (ctx, tracker) =>
      integrate({ ctx, tracker, merge: options.merge === true, timeoutMs: options.timeout * 1000 }),
    );
    stdout(options.json ? JSON.stringify(r, null, 2) + '\n' : summary(r));
    if (r.failed > 0 || r.conflicts.length > 0)
      throw new UserError(`${r.failed} integration tests failed, ${r.conflicts.length} branches conflict`);
  },
});

export const mergeCommand = defineCommand({
  name: 'merge',
  summary:
    "Merge an agent's branch into the base branch when its issues are ready for review and its tests pass",
  usage: 'AGENT',
  options,
  examples: ['llm-crew merge foundation'],
  async run({ options, positionals, stdout, stderr }) {
    const agent = oneAgent(positionals);
    if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
    await requireTools(['git']);
    const r = await withCrew(options, stderr, (ctx, tracker) =>
      mergeAgent({ ctx, tracker, agent, timeoutMs: options.timeout * 1000 }),
    );
    stdout(options.json ? JSON.stringify(r, null, 2) + '\n' : summary(r));
  },
});

export const integrateCommands = [testCommand, mergeCommand];
