/**
 * What an agent needs in its worktree to work: the plan, the book's structure, the chunks its
 * brief points at (PDF and text) and the brief itself. `up` checks that they are where the plan
 * says, refusing to start when a chunk the briefs name is missing, then commits whatever the crew's
 * base branch lacks of them in one setup commit (`chore(crew): ...`, by llm-crew, only those paths),
 * so that every worktree made from the base holds them. An agent branch made before that commit is
 * fast-forwarded when it has no commits of its own, else reported.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { UserError } from 'llm-scratch-core/errors';
import type { PlanContext } from '../plan/index.js';
import { commitPaths, currentBranch, fastForward, isAncestor, uncommittedPaths } from './git.js';

export interface CrewInputs {
  /** Absolute paths of the plan, the structure and the chunks' files. */
  paths: string[];
  warnings: string[];
}

/** Where up writes an agent's brief and commits it: briefs/<agent>.md beside crew.yaml, as `llm-crew plan` does. */
export const committedBrief = (dir: string, agent: string) => join(dir, 'briefs', `${agent}.md`);

function insideRepo(repo: string, what: string, path: string): void {
  const rel = relative(repo, path);
  if (rel.startsWith('..') || isAbsolute(rel))
    throw new UserError(
      `${what} ${path} is outside the repository ${repo}: agents' worktrees cannot hold it; move it inside`,
    );
}

/** The plan's inputs the agents read, checked to be there; a missing chunk is a UserError naming it. */
export function crewInputs(ctx: PlanContext, repo: string): CrewInputs {
  const { plan, dir } = ctx;
  const planFile = resolve(ctx.file);
  const paths = [planFile, join(dir, plan.book.structure)];
  const warnings: string[] = [];
  if (!plan.book.chunks)
    warnings.push(
      `${planFile}: no book.chunks: the briefs point at no part of the book (llm-crew book split BOOK.pdf --out chunks, then book.chunks: chunks)`,
    );
  else {
    const chunks = join(dir, plan.book.chunks);
    if (!existsSync(chunks))
      throw new UserError(
        `${planFile}: book.chunks '${plan.book.chunks}': no such directory ${chunks}; run llm-crew book split BOOK.pdf --out ${plan.book.chunks}, or fix book.chunks`,
      );
    if (!ctx.splits)
      throw new UserError(
        `${join(chunks, 'splits.json')}: missing, so the briefs cannot point at chunks; run llm-crew book split BOOK.pdf --out ${plan.book.chunks}`,
      );
    paths.push(join(chunks, 'splits.json'));
    for (const extra of ['summaries.json', 'structure.json'])
      if (existsSync(join(chunks, extra))) paths.push(join(chunks, extra));
    for (const c of ctx.splits.chunks)
      for (const f of [c.file, c.markdown]) {
        const file = join(chunks, f);
        if (!existsSync(file))
          throw new UserError(
            `${file}: missing, though splits.json lists it (chunk ${c.chunk}, ${c.title}); run llm-crew book split again`,
          );
        paths.push(file);
      }
  }
  for (const p of paths) insideRepo(repo, p === planFile ? 'the plan' : 'the book file', p);
  return { paths: [...new Set(paths)], warnings };
}

export interface SetupCommit {
  sha: string;
  /** Relative to the repository. */
  files: string[];
}

/** Commits on the base what it lacks of `paths` (absolute, inside repo); null when it holds them all. */
export async function commitCrewInputs(
  repo: string,
  base: string,
  paths: string[],
  agents: string[],
): Promise<SetupCommit | null> {
  const rels = paths.map((p) => relative(repo, p));
  const files = await uncommittedPaths(repo, rels);
  if (files.length === 0) return null;
  const checkedOut = await currentBranch(repo);
  if (checkedOut !== base)
    throw new UserError(
      `the crew's base branch ${base} is not checked out in ${repo} (${checkedOut} is), so up cannot commit ${files[0]}${files.length > 1 ? ` and ${files.length - 1} more` : ''} on it; check out ${base}`,
    );
  const sha = await commitPaths(
    repo,
    rels,
    `chore(crew): the plan, book chunks and briefs for ${agents.join(', ')}`,
  );
  return { sha, files };
}

/**
 * Brings a reused agent branch up to the base when it lacks the setup commit. Returns a warning when
 * it cannot (the agent has commits of its own and the files are missing), else null.
 */
export async function syncWorktree(
  agent: string,
  cwd: string,
  branch: string,
  base: string,
  required: string[],
): Promise<string | null> {
  const missing = () => required.filter((rel) => !existsSync(join(cwd, rel)));
  if (missing().length === 0 || (await isAncestor(cwd, base, branch))) return null;
  if ((await isAncestor(cwd, branch, base)) && (await fastForward(cwd, base)) && missing().length === 0)
    return null;
  const m = missing();
  return m.length === 0
    ? null
    : `agent '${agent}': its branch ${branch} lacks ${m[0]}${m.length > 1 ? ` and ${m.length - 1} more` : ''} (made before ${base} held them); merge ${base} into it`;
}
