/**
 * Picking and opening a tracker: the local database beside crew.yaml, or GitHub with a token from
 * GH_TOKEN, GITHUB_TOKEN or `gh auth token`, and a repository from the plan or the git remote.
 * External programs run through argument lists. The token is handed to Octokit only.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { UserError } from 'llm-scratch-core/errors';
import { GitHubTracker } from './github.js';
import { LocalTracker } from './local.js';
import type { Tracker } from './types.js';

export const DEFAULT_DB = join('.crew', 'tracker.db');
/** The GitHub tracker's event log, beside the plan (events.ts). */
export const DEFAULT_EVENTS_DB = join('.crew', 'events.db');

export interface OpenOptions {
  kind: 'local' | 'github';
  /** The directory of crew.yaml (or the working directory without one). */
  dir: string;
  /** The local database; default <dir>/.crew/tracker.db. */
  db?: string;
  /** OWNER/NAME from the plan. */
  repo?: string | null;
  env?: NodeJS.ProcessEnv;
  log?: (message: string) => void;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string | null {
  try {
    return execFileSync(cmd, args, {
      cwd,
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    }).trim();
  } catch {
    return null;
  }
}

export function resolveToken(env: NodeJS.ProcessEnv, dir: string): string {
  const token = env.GH_TOKEN?.trim() || env.GITHUB_TOKEN?.trim() || run('gh', ['auth', 'token'], dir, env);
  if (!token)
    throw new UserError(
      'no GitHub token: set GH_TOKEN (or GITHUB_TOKEN) to a token with the "issues: write" permission, or log in with `gh auth login`',
    );
  return token;
}

/** OWNER/NAME from a GitHub remote URL (https, ssh or scp-like), or null. */
export function repoFromRemote(url: string): string | null {
  const m = /github\.com[/:]([\w.-]+)\/([\w.-]+?)(?:\.git)?\/?$/.exec(url.trim());
  return m ? `${m[1]}/${m[2]}` : null;
}

export function resolveRepo(planRepo: string | null | undefined, dir: string): string {
  if (planRepo) return planRepo;
  const url = run('git', ['remote', 'get-url', 'origin'], dir);
  const repo = url ? repoFromRemote(url) : null;
  if (!repo)
    throw new UserError(
      'no GitHub repository: set project.repo: OWNER/NAME in crew.yaml, or add a GitHub remote (git remote add origin https://github.com/OWNER/NAME)',
    );
  return repo;
}

export function openTracker(o: OpenOptions): Tracker {
  if (o.kind === 'local') return new LocalTracker(o.db ?? join(o.dir, DEFAULT_DB));
  const env = o.env ?? process.env;
  const repo = resolveRepo(o.repo, o.dir);
  const token = resolveToken(env, o.dir);
  return new GitHubTracker({
    token,
    repo,
    baseUrl: env.GITHUB_API_URL || undefined,
    log: o.log,
    eventsDb: join(o.dir, DEFAULT_EVENTS_DB),
  });
}
