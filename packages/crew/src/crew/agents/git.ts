/** The git the runtime needs: worktrees per agent, and what status shows of a branch. */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { UserError } from 'llm-scratch-core/errors';
import { run, runOk } from './exec.js';

const git = (cwd: string, ...args: string[]) => run('git', args, { cwd });
const gitOk = (cwd: string, ...args: string[]) => runOk('git', args, { cwd });

export async function repoRoot(dir: string): Promise<string> {
  const r = await git(dir, 'rev-parse', '--show-toplevel');
  if (r.code !== 0) throw new UserError(`${dir} is not in a git repository; run git init and commit first`);
  return r.stdout.trim();
}

export async function currentBranch(repo: string): Promise<string> {
  const r = await git(repo, 'symbolic-ref', '--quiet', '--short', 'HEAD');
  if (r.code !== 0)
    throw new UserError(`${repo}: HEAD is detached; check out the branch the agents should branch from`);
  const branch = r.stdout.trim();
  if ((await git(repo, 'rev-parse', '--verify', '--quiet', 'HEAD')).code !== 0)
    throw new UserError(`${repo}: branch ${branch} has no commit yet; commit something first`);
  return branch;
}

export async function branchExists(repo: string, branch: string): Promise<boolean> {
  return (await git(repo, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`)).code === 0;
}

/** Keeps `.crew/` (worktrees, logs, the tracker) out of `git status` without touching .gitignore. */
export async function excludeCrewDir(repo: string): Promise<void> {
  await excludeFromGit(repo, '.crew/');
}

/** A pattern in the repository's info/exclude (shared by its worktrees), once. */
export async function excludeFromGit(repo: string, pattern: string): Promise<void> {
  const common = (await gitOk(repo, 'rev-parse', '--git-common-dir')).trim();
  const file = join(isAbsolute(common) ? common : join(repo, common), 'info', 'exclude');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (!text.split('\n').includes(pattern))
    appendFileSync(file, `${text && !text.endsWith('\n') ? '\n' : ''}${pattern}\n`);
}

/** The agent's worktree on its branch: made from base the first time, reused afterwards. */
export async function ensureWorktree(
  repo: string,
  path: string,
  branch: string,
  base: string,
): Promise<void> {
  if (existsSync(join(path, '.git'))) return;
  await gitOk(repo, 'worktree', 'prune');
  if (await branchExists(repo, branch)) await gitOk(repo, 'worktree', 'add', path, branch);
  else await gitOk(repo, 'worktree', 'add', '-b', branch, path, base);
}

export async function removeWorktree(repo: string, path: string): Promise<void> {
  await gitOk(repo, 'worktree', 'remove', path);
}

/** Paths with uncommitted changes (untracked included). */
export async function dirtyFiles(cwd: string): Promise<string[]> {
  const r = await git(cwd, 'status', '--porcelain', '--untracked-files=all');
  if (r.code !== 0) return [];
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.slice(3));
}

export async function aheadOf(repo: string, base: string, branch: string): Promise<number | null> {
  const r = await git(repo, 'rev-list', '--count', `${base}..${branch}`);
  return r.code === 0 ? Number(r.stdout.trim()) : null;
}

export interface CommitLine {
  sha: string;
  subject: string;
  /** Unix seconds. */
  time: number;
}

export async function recentCommits(
  repo: string,
  ref: string,
  n: number,
  notIn?: string,
): Promise<CommitLine[]> {
  const range = notIn ? [`${notIn}..${ref}`] : [ref];
  const r = await git(repo, 'log', `-${n}`, '--format=%h%x09%ct%x09%s', ...range, '--');
  if (r.code !== 0) return [];
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [sha, time, ...subject] = l.split('\t');
      return { sha: sha!, time: Number(time), subject: subject.join('\t') };
    });
}

/** Paths (relative to the repository) that HEAD lacks or holds differently: untracked and ignored ones included. */
export async function uncommittedPaths(repo: string, paths: string[]): Promise<string[]> {
  if (paths.length === 0) return [];
  const out = await gitOk(
    repo,
    'status',
    '--porcelain',
    '--untracked-files=all',
    '--ignored=matching',
    '--no-renames',
    '--',
    ...paths,
  );
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => l.slice(3));
}

/**
 * Commits exactly these paths (ignored ones too: they were asked for by name) as llm-crew, leaving
 * whatever else the user has staged staged and uncommitted. No hooks: the commit holds the crew's
 * inputs, not code a project's pre-commit checks are about. Returns the new commit's short sha.
 */
export async function commitPaths(repo: string, paths: string[], message: string): Promise<string> {
  await gitOk(repo, 'add', '--force', '--', ...paths);
  await gitOk(
    repo,
    '-c',
    'user.name=llm-crew',
    '-c',
    'user.email=llm-crew@localhost',
    'commit',
    '--quiet',
    '--no-verify',
    '--only',
    '-m',
    message,
    '--',
    ...paths,
  );
  return (await gitOk(repo, 'rev-parse', '--short', 'HEAD')).trim();
}

/** Whether `ancestor` is reachable from `ref`. */
export async function isAncestor(repo: string, ancestor: string, ref: string): Promise<boolean> {
  return (await git(repo, 'merge-base', '--is-ancestor', ancestor, ref)).code === 0;
}

/** Moves the worktree's branch forward to `ref` when that needs no merge; false when it cannot. */
export async function fastForward(cwd: string, ref: string): Promise<boolean> {
  return (await git(cwd, 'merge', '--ff-only', '--quiet', ref)).code === 0;
}
