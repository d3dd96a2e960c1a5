// Atomic file writes: write a temporary file beside the target, flush it to disk, then rename over
// the target, so a crash or Ctrl-C leaves either the old file or the new one, never half of one.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export function writeFileAtomic(file: string, chunks: (Uint8Array | string)[]): void {
  const temp = join(dirname(file), `.${basename(file)}.tmp-${process.pid}-${Date.now()}`);
  let fd: number | null = null;
  try {
    fd = openSync(temp, 'w');
    for (const chunk of chunks) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      let done = 0;
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(temp, file);
  } catch (err) {
    if (fd !== null) closeSync(fd);
    rmSync(temp, { force: true });
    throw err;
  }
}
