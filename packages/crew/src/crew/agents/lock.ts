/**
 * The lock `up` holds while it checks and starts sessions: a file made with O_EXCL holding the
 * holder's pid, so that of two `up`s racing only one starts the crew and the other is told who
 * holds it. A lock whose process is gone (a crash, a kill -9) is taken over.
 */
import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from 'llm-scratch-core/errors';
import { alive } from './processes.js';

function holder(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Takes the lock or throws a UserError naming its holder; returns the function that releases it. */
export function acquireLock(file: string, what: string): () => void {
  mkdirSync(dirname(file), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        if (holder(file) === process.pid) rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = holder(file);
    // A lock being written has no pid yet for an instant: that holder is alive.
    if (attempt >= 1 || pid === null || alive(pid))
      throw new UserError(
        `another ${what} (pid ${pid ?? 'unknown'}) holds ${file}; wait for it to finish, or remove the file if no such process runs`,
      );
    rmSync(file, { force: true });
  }
}
