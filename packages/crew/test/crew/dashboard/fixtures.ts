// A crew project as the dashboard and the report meet it: the seed's plan synced into a real local
// tracker, inside a real git repository with agent branches whose commits follow the convention or
// not. Commands run through the CLI exactly as a coordinator would type them.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { llmCrew } from '../../../src/cli/llm-crew.js';
import { runProgram } from 'llm-scratch-core/cli/program';
import type { AgentStatus } from '../../../src/crew/agents/types.js';
import { parsePlan, readPlanText, type Plan } from '../../../src/crew/plan/index.js';
import { LocalTracker } from '../../../src/crew/tracker/index.js';
import { seedDir } from '../plan/fixtures.js';

export async function crew(dir: string, ...args: string[]) {
  let stdout = '';
  let stderr = '';
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const code = await runProgram(llmCrew, args, {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
    });
    return { code, stdout, stderr };
  } finally {
    process.chdir(cwd);
  }
}

// Commits (merges too) are dated from a fixed instant, a minute per git call, before the seed
// plan's day 0 (2026-12-01), so what the report counts does not depend on the day the tests run.
let gitMinute = 0;

export const git = (dir: string, ...args: string[]) => {
  const date = new Date(Date.UTC(2026, 10, 20, 9, gitMinute++)).toISOString();
  return execFileSync('git', args, {
    cwd: dir,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@example.com',
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_DATE: date,
    },
  });
};

/** Commits a file change on the current branch, with the given subject. */
export function commit(dir: string, file: string, subject: string): void {
  writeFileSync(join(dir, file), `${subject}\n`);
  git(dir, 'add', file);
  git(dir, 'commit', '-q', '-m', subject);
}

export interface Project {
  dir: string;
  plan: Plan;
  tracker: LocalTracker;
}

/**
 * The seed synced (12 issues), a main branch with one commit, and `crew/foundation` with a
 * conventional commit and one that breaks the convention.
 */
export async function crewProject(): Promise<Project> {
  const dir = seedDir();
  git(dir, 'init', '-q', '-b', 'main');
  writeFileSync(join(dir, '.gitignore'), '.crew/\n');
  git(dir, 'add', '.gitignore', 'crew.yaml', 'structure.json');
  git(dir, 'commit', '-q', '-m', 'chore: the crew plan');
  const sync = await crew(dir, 'issues', 'sync');
  if (sync.code !== 0) throw new Error(sync.stderr);
  git(dir, 'checkout', '-q', '-b', 'crew/foundation');
  commit(dir, 'tokenizer.ts', 'feat(fundamentals): a BPE tokenizer');
  commit(dir, 'loader.ts', 'added the loader');
  git(dir, 'checkout', '-q', 'main');
  const plan = parsePlan(readPlanText(join(dir, 'crew.yaml')), 'crew.yaml');
  return { dir, plan, tracker: new LocalTracker(join(dir, '.crew', 'tracker.db')) };
}

/** What a status source reports for an agent with a live session. */
export function running(agent: string, session: string, extra: Partial<AgentStatus> = {}): AgentStatus {
  return {
    agent,
    session,
    state: 'running',
    pid: 4242,
    idleSeconds: 12,
    activity: null,
    waitingForInput: false,
    issue: null,
    branch: `crew/${agent}`,
    worktree: null,
    ahead: 2,
    lastCommit: null,
    dirtyFiles: 0,
    restarts: 0,
    ...extra,
  };
}

/** Closes the issue with this tracker key through the CLI; returns its number. */
export async function closeByKey(p: Project, key: string): Promise<number> {
  const issue = (await p.tracker.listIssues({ state: 'all' })).find((i) => i.key === key);
  if (!issue) throw new Error(`no issue ${key}`);
  const r = await crew(p.dir, 'issues', 'close', String(issue.number));
  if (r.code !== 0) throw new Error(r.stderr);
  return issue.number;
}
