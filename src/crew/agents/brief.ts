/**
 * The briefs handed to agents: the plan's brief (documents.ts) with where the agent works and how
 * it reaches the tracker, and on a restart a recovery brief: what it was doing, its issue, its last
 * commits and uncommitted files, then the brief again.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PlanContext } from '../plan/index.js';
import { planDocuments } from '../plan/index.js';
import type { Issue } from '../tracker/index.js';
import type { CommitLine } from './git.js';
import type { RuntimeAgent } from './layout.js';

export function writeText(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

export function agentBrief(ctx: PlanContext, agent: string, rt: RuntimeAgent, base: string): string {
  const doc = planDocuments(ctx).find((d) => d.path.replace(/\\/g, '/') === `briefs/${agent}.md`);
  const where = rt.worktree
    ? `You work in your own git worktree, ${rt.cwd}, on branch \`${rt.branch}\` (from \`${base}\`). Commit there often; the coordinator merges your branch.`
    : `You work in the repository itself, ${rt.cwd}, on branch \`${rt.branch}\`, beside the other agents: commit only your own files, by path.`;
  return `${doc?.text.trimEnd() ?? `# ${agent}`}

## Where you work

${where}

Track your work with \`llm-crew issues\` (list --agent ${agent}, comment, label, close): the tracker
is the crew's (CREW_PLAN and CREW_DB in your environment point at it). Label the issue you work on
\`in-progress\`, and \`ready-for-review\` when it is done.
`;
}

export function recoveryBrief(
  agent: string,
  reason: string,
  issue: Issue | null,
  commits: CommitLine[],
  dirty: string[],
  brief: string,
): string {
  const list = (xs: string[]) => (xs.length ? xs.map((x) => `- ${x}`).join('\n') : '(none)');
  return `# Restart of ${agent}

You were restarted by the crew's supervisor: ${reason}. Nothing you committed was lost, and your
uncommitted files are still in your working tree. Carry on where you were.

## The issue you were on

${issue ? `#${issue.number} ${issue.title} [${issue.labels.join(', ')}]` : '(none in progress)'}

## Your last commits

${list(commits.map((c) => `${c.sha} ${c.subject}`))}

## Uncommitted files

${list(dirty)}

---

${brief}`;
}
