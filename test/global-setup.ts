// Every test run gets a temporary directory of its own, removed when the run ends: tests make their
// fixtures under os.tmpdir(), and a directory that a failing or interrupted test leaves behind then
// goes with the run instead of piling up in /tmp run after run (a full disk fails the next run).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MARK = 'LLM_SCRATCH_TEST_TMPDIR';

export default function setup(): (() => void) | undefined {
  // Each project of the workspace inherits this setup; the first one makes the directory for all.
  if (process.env[MARK]) return undefined;
  // Short: some tests put Unix sockets under it, whose paths may not exceed 107 bytes.
  const dir = mkdtempSync(join(tmpdir(), 'lst-'));
  process.env[MARK] = dir;
  process.env.TMPDIR = dir;
  // tmux puts its servers' sockets under TMUX_TMPDIR, not TMPDIR: /tmp/tmux-UID otherwise, where
  // the crew tests' servers left a socket file each, some fifteen a run.
  process.env.TMUX_TMPDIR = dir;
  return () => {
    rmSync(dir, { recursive: true, force: true });
    delete process.env[MARK];
    delete process.env.TMUX_TMPDIR;
  };
}
