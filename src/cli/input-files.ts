// Files a command reads, checked before it loads a model or starts training, so that a wrong path
// is one line naming the option and the path rather than a failure halfway through.
import { accessSync, constants, statSync } from 'node:fs';
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

export function requireDirectory(flag: string, path: string): string {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new UserError(`--${flag} ${path}: no such directory`);
  }
  if (!stat.isDirectory()) throw new UserError(`--${flag} ${path}: not a directory`);
  return path;
}
