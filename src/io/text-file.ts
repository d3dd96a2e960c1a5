// Reads a text file the user named, with a one-line error (a UserError) when it cannot be read.
import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';

export function readTextFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new UserError(`cannot read ${file}: ${why}`);
  }
}
