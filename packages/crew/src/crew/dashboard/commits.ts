/**
 * Commits as the coordinator sees them: the newest ones across the main line and every agent's
 * branch (`crew/<agent>`), each attributed to the agent whose branch reached it, with those that break
 * the commit convention marked. git runs through an argument list.
 */
import { execFileSync } from 'node:child_process';
import { UserError } from 'llm-scratch-core/errors';
import { startFailure } from '../agents/exec.js';

/**
 * The convention: `type(scope): subject`. The scope may be left out (`docs: ...`) as Conventional
 * Commits allows, and `!` marks a breaking change; the subject must start with a non-space.
 */
export const COMMIT_CONVENTION =
  /^(feat|fix|docs|style|refactor|perf|test|build|ci|chore|revert)(\([\w./,-]+\))?!?: \S/;

export function followsConvention(subject: string): boolean {
  return COMMIT_CONVENTION.test(subject);
}

export interface CommitInfo {
  sha: string;
  subject: string;
  author: string;
  /** Author date, ISO 8601. */
  at: string;
  /** The agent whose branch `crew/<agent>` the commit was found on; null on the main line. */
  agent: string | null;
  conventional: boolean;
}

export const AGENT_BRANCH_PREFIX = 'crew/';

export function git(repo: string, args: string[]): string {
  try {
    return execFileSync('git', args, {
      cwd: repo,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    // A string code is a failure to start; an exit status is a number (`status`), not a code.
    if (typeof e.code === 'string') throw startFailure('git', e, repo);
    const why = (e.stderr ?? e.message).trim().split('\n')[0];
    throw new UserError(`git ${args[0]} in ${repo} failed: ${why}`);
  }
}

/** True when `repo` is inside a git work tree that has at least one commit. */
export function hasCommits(repo: string): boolean {
  try {
    execFileSync('git', ['rev-parse', '--verify', '-q', 'HEAD'], { cwd: repo, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const SEP = '\x1f';

interface LogOptions {
  /** At most this many commits; all when left out. */
  limit?: number;
  /** Only commits authored at or after this ISO time. */
  since?: string;
}

/** The agents that have a `crew/<agent>` branch. */
export function agentBranches(repo: string): string[] {
  return git(repo, ['for-each-ref', '--format=%(refname:short)', `refs/heads/${AGENT_BRANCH_PREFIX}`])
    .split('\n')
    .filter((b) => b.startsWith(AGENT_BRANCH_PREFIX))
    .map((b) => b.slice(AGENT_BRANCH_PREFIX.length));
}

/** Commits made on `ref` itself: its first-parent line (what was merged in hangs off second parents). */
function firstParentLine(repo: string, ref: string, since: string | undefined): Set<string> {
  const args = ['rev-list', '--first-parent', ref];
  if (since) args.push(`--since=${since}`);
  return new Set(
    git(repo, [...args, '--'])
      .split('\n')
      .filter(Boolean),
  );
}

/**
 * Commits reachable from HEAD or any `crew/*` branch, newest first (children before parents), merges
 * left out (a merge records where work met, not work). A commit belongs to the branch whose
 * first-parent line holds it, which is the branch it was made on even after a merge elsewhere; the
 * main line (HEAD) wins, so the base an agent branched from stays main's.
 */
export function readCommits(repo: string, o: LogOptions = {}): CommitInfo[] {
  if (!hasCommits(repo)) return [];
  const args = ['log', '--no-merges', '--date-order', `--format=%H${SEP}%an${SEP}%aI${SEP}%s`];
  if (o.limit !== undefined) args.push(`-n${o.limit}`);
  if (o.since) args.push(`--since=${o.since}`);
  args.push(`--branches=${AGENT_BRANCH_PREFIX}*`, 'HEAD', '--');
  const commits = git(repo, args)
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => line.split(SEP) as [string, string, string, string]);
  if (commits.length === 0) return [];
  // Attribution needs the lines only as far back as the oldest commit shown.
  const oldest = new Date(Math.min(...commits.map((c) => Date.parse(c[2])))).toISOString();
  const main = firstParentLine(repo, 'HEAD', oldest);
  const lines = agentBranches(repo).map(
    (a) => [a, firstParentLine(repo, AGENT_BRANCH_PREFIX + a, oldest)] as const,
  );
  return commits.map(([sha, author, at, subject]) => ({
    sha,
    subject,
    author,
    at: new Date(at).toISOString(),
    agent: main.has(sha) ? null : (lines.find(([, line]) => line.has(sha))?.[0] ?? null),
    conventional: followsConvention(subject),
  }));
}
