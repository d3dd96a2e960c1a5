// A Hugging Face repository id as the hub accepts it: OWNER/NAME (or a legacy name without an
// owner, such as 'gpt2'). The rule is huggingface_hub's validate_repo_id: letters, digits, '_',
// '-' and '.', no '--' or '..', a part neither starting nor ending with '-' or '.', at most 96
// characters in all.
const PART = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;
const MAX_LENGTH = 96;

/** Why `repo` is not a repository id, or null when it is one. */
export function repoIdProblem(repo: string): string | null {
  if (/^https?:\/\//.test(repo)) return 'give the repository id (OWNER/NAME), not its web address';
  if (repo.length > MAX_LENGTH) return `longer than ${MAX_LENGTH} characters`;
  const parts = repo.split('/');
  if (parts.length > 2) return 'more than one /';
  if (!parts.every((p) => PART.test(p)))
    return "a part holds a character other than letters, digits, '_', '-' and '.', or starts or ends with '-' or '.'";
  if (repo.includes('--') || repo.includes('..')) return "'--' and '..' are not allowed";
  return null;
}

/** The directory a repository goes to when no --out is given: its name without the owner. */
export function defaultDirName(repo: string): string {
  return repo.split('/').pop() as string;
}
