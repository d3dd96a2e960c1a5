// Putting a new checkpoint directory in place of the old one so that a kill at any instant leaves
// a complete checkpoint that --resume finds.
//
// The new copy is written into `.NAME.tmp-PID` beside NAME, trainer.json last (each file written
// atomically), so a copy with a readable trainer.json is complete. Then NAME is renamed to
// `.NAME.old-PID`, the new copy to NAME, and the old one removed. POSIX cannot exchange two
// directories in one step, so a kill can land between the two renames: no NAME, two complete
// copies beside it. recoverCheckpoint, run before every save and every resume, puts the newest
// complete copy (highest step) back under NAME and removes every leftover copy, the partial
// temporaries of killed runs included. Two runs writing the same directory at once are not
// supported (each would treat the other's temporary as a leftover).
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

export const TRAINER_FILE = 'trainer.json';

function leftovers(dir: string): string[] {
  const parent = dirname(dir);
  const prefixes = [`.${basename(dir)}.tmp-`, `.${basename(dir)}.old-`];
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  return names.filter((n) => prefixes.some((p) => n.startsWith(p))).map((n) => join(parent, n));
}

// The step of a complete copy, or null when it is partial or not a checkpoint.
function completeStep(dir: string): number | null {
  try {
    const file = JSON.parse(readFileSync(join(dir, TRAINER_FILE), 'utf8')) as { step?: unknown };
    return Number.isSafeInteger(file.step) ? (file.step as number) : null;
  } catch {
    return null;
  }
}

// Flushes a directory's entries (the renames into and out of it) to disk, where the OS allows it.
function syncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a directory; the renames are still atomic there.
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

// Leaves the newest complete copy under `dir` and no leftover copies beside it.
export function recoverCheckpoint(dir: string): void {
  const copies = leftovers(dir);
  if (copies.length === 0) return;
  // Ties go to `dir` itself, then to the newer kind of copy (a temporary is newer than an old one).
  const ranked = [
    dir,
    ...copies.filter((c) => c.includes('.tmp-')),
    ...copies.filter((c) => c.includes('.old-')),
  ];
  let best: string | null = null;
  let bestStep = -1;
  for (const candidate of ranked) {
    const step = existsSync(candidate) ? completeStep(candidate) : null;
    if (step !== null && step > bestStep) [best, bestStep] = [candidate, step];
  }
  if (best !== null && best !== dir) {
    const aside = join(dirname(dir), `.${basename(dir)}.old-${process.pid}-recovered`);
    rmSync(aside, { recursive: true, force: true });
    if (existsSync(dir)) renameSync(dir, aside);
    renameSync(best, dir);
    syncDir(dirname(dir));
  }
  for (const copy of leftovers(dir)) rmSync(copy, { recursive: true, force: true });
}

// Writes a new checkpoint with `write(temp)` and swaps it into place at `dir`.
export function swapCheckpoint(dir: string, write: (temp: string) => void): void {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  recoverCheckpoint(dir);
  const temp = join(parent, `.${basename(dir)}.tmp-${process.pid}`);
  const old = join(parent, `.${basename(dir)}.old-${process.pid}`);
  rmSync(temp, { recursive: true, force: true });
  try {
    write(temp);
  } catch (err) {
    rmSync(temp, { recursive: true, force: true });
    throw err;
  }
  syncDir(temp);
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(temp, dir);
  syncDir(parent);
  rmSync(old, { recursive: true, force: true });
}
