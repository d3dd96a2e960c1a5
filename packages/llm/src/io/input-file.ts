// Checks that a file a reader is about to open is a regular, readable file, with a one-line
// UserError that says what is there instead. Opening a named pipe (or /dev/stdin through a
// symlink) blocks until a writer appears, and a directory fails late with EISDIR, so readers of
// model files call this first.
import { accessSync, constants, lstatSync, statSync, type Stats } from 'node:fs';
import { UserError } from 'llm-scratch-core/errors';

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOTDIR') return 'a parent of it is not a directory';
  if (code === 'ELOOP') return 'too many levels of symbolic links';
  return code ?? (err as Error).message.split('\n')[0];
}

// The file's stats; `what` names it in messages ("weights", "config").
export function checkRegularFile(file: string, what = 'file'): Stats {
  let stats: Stats;
  try {
    stats = statSync(file);
  } catch (err) {
    const dangling =
      (err as NodeJS.ErrnoException).code === 'ENOENT' &&
      (() => {
        try {
          return lstatSync(file).isSymbolicLink();
        } catch {
          return false;
        }
      })();
    throw new UserError(
      `cannot read ${what} ${file}: ${dangling ? 'a symbolic link to a missing file' : reason(err)}`,
    );
  }
  if (stats.isDirectory()) throw new UserError(`cannot read ${what} ${file}: is a directory, not a file`);
  if (!stats.isFile()) throw new UserError(`cannot read ${what} ${file}: not a regular file`);
  try {
    accessSync(file, constants.R_OK);
  } catch (err) {
    throw new UserError(`cannot read ${what} ${file}: ${reason(err)}`);
  }
  return stats;
}

// A name taken from a file, made safe to quote in a one-line message.
export function quoteName(name: string, max = 80): string {
  let flat = '';
  for (const c of name) {
    const code = c.codePointAt(0)!;
    const control = code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029;
    flat += control ? `\\u${code.toString(16).padStart(4, '0')}` : c;
  }
  return `'${flat.length > max ? `${flat.slice(0, max)}...` : flat}'`;
}
