// Where classify --eval and finetune-classifier --data read labelled examples from.
import { statSync } from 'node:fs';
import { UserError } from 'llm-scratch-core/errors';
import { findSplitDir } from '../llm/finetune/data.js';
import { requireFile } from 'llm-scratch-core/cli/file-checks';

/** Labelled examples: a file, or a directory holding the split (train.csv, ...) of an earlier run. */
export function requireLabelledData(flag: string, path: string): string {
  let isDir;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new UserError(`--${flag} ${path}: no such file or directory`);
  }
  if (!isDir) return requireFile(flag, path);
  if (!findSplitDir(path))
    throw new UserError(`--${flag} ${path}: a directory without train.csv, validation.csv and test.csv`);
  return path;
}
