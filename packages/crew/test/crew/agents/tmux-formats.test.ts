// tmux expands formats in a session's name, in start directories and in pipe-pane's command, and a
// '#(...)' in a format runs a shell command. A crew whose directory (or session name) holds one must
// not run it: the directory below asks tmux to touch $CREW_MARK, which the tmux server's environment
// names, so that a run command would leave a file we can look for. Real tmux on private sockets.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { Tmux } from '../../../src/crew/agents/tmux.js';
import { makeProject } from './project.js';
import { runCrew } from './run-crew.js';

const exec = promisify(execFile);
const sockets: string[] = [];
afterAll(async () => {
  await Promise.all(sockets.map((s) => exec('tmux', ['-L', s, 'kill-server']).catch(() => {})));
});

const TRAP = '#(touch $CREW_MARK)';
const socketName = () => `crew-fmt-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

async function waitFor<T>(what: string, probe: () => Promise<T | null>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await probe().catch(() => null);
    if (v !== null) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('tmux formats in paths and names are taken literally', () => {
  it('new-session, respawn-pane and pipe-pane with #(...) and % in the directory, the name and the log', async () => {
    const mark = join(mkdtempSync(join(tmpdir(), 'crew-mark-')), 'PWNED');
    const dir = join(mkdtempSync(join(tmpdir(), 'crew-fmt-')), `crew-${TRAP}-%Y`);
    mkdirSync(dir);
    const log = join(dir, 'logs', `agent-${TRAP}-%Y.log`);
    const socket = socketName();
    sockets.push(socket);
    const tmux = new Tmux(socket, { ...process.env, CREW_MARK: mark });
    // No '$' in the name: tmux stores it as '\$' in session names. Expanded, the name would change.
    const name = 'agent #(echo expanded) #{session_id}';
    await tmux.newSession({
      name,
      cwd: dir,
      argv: ['sh', '-c', 'pwd; echo first; exec sleep 60'],
      env: {},
      remainOnExit: true,
      log,
    });
    expect(await tmux.sessions()).toEqual([name]);
    await waitFor('the log', async () => (readFileSync(log, 'utf8').includes('first') ? true : null));
    // The pane started in the directory as named (pwd printed it), and the log is at its literal path.
    expect(readFileSync(log, 'utf8')).toContain(dir);

    await tmux.respawn(name, dir, ['sh', '-c', 'pwd; echo second; exec sleep 60'], {}, log);
    await waitFor('the respawned pane in the log', async () =>
      readFileSync(log, 'utf8').includes('second') ? true : null,
    );
    expect(readFileSync(log, 'utf8').split(dir)).toHaveLength(3);
    // #() jobs start in the background: give one the time to run before looking for its file.
    await new Promise((r) => setTimeout(r, 1000));
    expect(existsSync(mark)).toBe(false);
  }, 60_000);

  it('a crew in a directory named crew-#(...) comes up, works and goes down, and runs nothing', async () => {
    const mark = join(mkdtempSync(join(tmpdir(), 'crew-mark-')), 'PWNED');
    const env = { ...process.env, CREW_MARK: mark };
    const p = await makeProject(undefined, `crew-${TRAP}-`);
    sockets.push(p.socket);
    const up = await runCrew(
      p.dir,
      ['up', '--socket', p.socket, '--interval', '0.5', '--backoff', '0.5', '--no-dashboard', '--json'],
      env,
    );
    expect(up.code, up.stderr).toBe(0);
    // alpha commits its file; beta crashes once and is restarted by the supervisor (respawn-pane -c).
    await waitFor(
      'both agents to commit',
      async () => {
        const logs = ['alpha', 'beta'].map((a) =>
          readFileSync(join(p.dir, '.crew', 'logs', `${a}.log`), 'utf8'),
        );
        return logs[0]!.includes('alpha: committed') && logs[1]!.includes('beta: committed') ? logs : null;
      },
      150_000,
    );
    expect(readFileSync(join(p.dir, '.crew', 'worktrees', 'beta', 'beta.txt'), 'utf8')).toContain(
      'after a restart',
    );
    const down = await runCrew(p.dir, ['down', '--json'], env);
    expect(down.code, down.stderr).toBe(0);
    expect(existsSync(mark)).toBe(false);
  }, 240_000);
});
