/**
 * `llm-crew` on the agents' PATH: `.crew/bin/llm-crew`, a two-line shell script that runs the
 * llm-crew that started the crew, with the same node and flags (a tsx loader in a checkout), so an
 * agent runs `llm-crew issues ...` in its worktree whether or not the package is installed there.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from 'llm-scratch-core/io/atomic';
import { shimDir } from './layout.js';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Writes the shim for `self` (node, its flags, the script); returns its path. */
export function writeShim(dir: string, self: string[]): string {
  const bin = shimDir(dir);
  mkdirSync(bin, { recursive: true });
  const file = join(bin, 'llm-crew');
  const text = `#!/bin/sh\n# Written by llm-crew up: the crew's own llm-crew, for its agents.\nexec ${self.map(quote).join(' ')} "$@"\n`;
  writeFileAtomic(file, [text]);
  chmodSync(file, 0o755);
  return file;
}
