// Paths a command reads and writes, checked before it loads a model or starts training, so that a
// wrong path is one line naming the option and the path rather than a failure halfway through.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from '../errors.js';

export function requireFile(flag: string, path: string): string {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new UserError(`--${flag} ${path}: no such file`);
  }
  if (stat.isDirectory()) throw new UserError(`--${flag} ${path}: a directory, not a file`);
  try {
    accessSync(path, constants.R_OK);
  } catch {
    throw new UserError(`--${flag} ${path}: cannot read it (permission denied)`);
  }
  return path;
}

const writable = (path: string) => {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
};

/** A directory a command writes into, created with its parents: only a file in the way stops it. */
export function requireOutputDir(flag: string, path: string): string {
  let existing = resolve(path);
  while (!existsSync(existing)) existing = dirname(existing);
  if (!statSync(existing).isDirectory())
    throw new UserError(
      existing === resolve(path)
        ? `--${flag} ${path}: a file, not a directory`
        : `--${flag} ${path}: ${existing} is a file, not a directory`,
    );
  if (!writable(existing))
    throw new UserError(`--${flag} ${path}: cannot write to ${existing} (permission denied)`);
  return path;
}

/** A file a command writes: its directory must be there, and the path must not be a directory. */
export function requireOutputFile(flag: string, path: string): string {
  if (existsSync(path) && statSync(path).isDirectory())
    throw new UserError(`--${flag} ${path}: a directory, not a file`);
  const parent = dirname(resolve(path));
  if (!existsSync(parent)) throw new UserError(`--${flag} ${path}: no directory ${dirname(path)}`);
  if (!statSync(parent).isDirectory())
    throw new UserError(`--${flag} ${path}: ${dirname(path)} is not a directory`);
  if (!writable(parent))
    throw new UserError(`--${flag} ${path}: cannot write to ${dirname(path)} (permission denied)`);
  return path;
}
