/**
 * The briefs handed to agents: the plan's brief (documents.ts) with where the agent works, its files
 * and how it works with the crew's tracker, and on a restart a recovery brief: what it was doing, its issue, its last
 * commits and uncommitted files, then the brief again.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, relative } from 'node:path';
import type { PlanContext } from '../plan/index.js';
import { planDocuments } from '../plan/index.js';
import type { Issue } from '../tracker/index.js';
import type { CommitLine } from './git.js';
import type { RuntimeAgent } from './layout.js';

export function writeText(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/**
 * The brief `up` commits for an agent: the plan's brief, then where it works, which files it has and
 * how it works with the crew. No absolute path and nothing of one run: the same plan gives the same
 * text, so a second `up` commits nothing new.
 */
export function agentBrief(
  ctx: PlanContext,
  agent: string,
  rt: RuntimeAgent,
  base: string,
  repo: string,
): string {
  const doc = planDocuments(ctx).find((d) => d.path.replace(/\\/g, '/') === `briefs/${agent}.md`);
  const sub = relative(repo, ctx.dir).replace(/\\/g, '/');
  const where = rt.worktree
    ? `You work in your own git worktree (your current directory) on branch \`${rt.branch}\`, made from \`${base}\`; each agent has its own. Commit there, small and often; the coordinator merges your branch.`
    : `You work in the repository itself (your current directory), on branch \`${rt.branch}\`, beside the other agents: commit only your own files, by path (\`git commit -- FILE...\`).`;
  const chunks = ctx.plan.book.chunks
    ? `Your part of the book is under "Book chunks" above: each chunk as a PDF and as its text (\`.md\`). Read the text; open the PDF for figures, tables and equations.`
    : 'The book is not split into chunks: your chapters and sections are listed above.';
  const accept = `the acceptance check of the issue: the command its text names (a task's \`accept\` command, an integration point's test; \`llm-crew issues show N\` prints it), run from ${sub ? `\`${sub}\` in your directory` : 'your directory'}`;
  return `${doc?.text.trimEnd() ?? `# ${agent}`}

## Where you work

${where}

Paths in this brief are relative to ${sub ? `\`${sub}\` in your current directory` : 'your current directory'}: the plan is \`${basename(ctx.file)}\`, this brief \`briefs/${agent}.md\`. ${chunks}

## How you work with the crew

\`llm-crew\` is on your PATH and reaches the crew's tracker from your directory (\`LLM_CREW_AGENT\`,
\`LLM_CREW_ROOT\`, \`LLM_CREW_PLAN\`, \`LLM_CREW_DB\` and \`LLM_CREW_ISSUE\`, the issue you start on, are in
your environment).

1. **Your issues**: \`llm-crew issues list --agent ${agent}\`; \`llm-crew issues show N\` prints one.
2. **Claim one**: \`llm-crew issues label N --add in-progress\`, and say how you will do it:
   \`llm-crew issues comment N --body "..."\`.
3. **Work**: read your chunk, write the code and its tests in your modules, commit.
4. **Check**: run ${accept}. It passes on your committed work before you say you are done.
5. **Done**: \`llm-crew issues label N --add ready-for-review --remove in-progress\`, and a comment with
   what you did and the check's result; then the next issue. Waiting on another agent:
   \`llm-crew issues label N --add blocked\` and a comment saying on what.
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
