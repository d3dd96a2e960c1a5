// The dashboard's keys act on a real crew: a tmux session on a private socket running a real
// program, a git repository with the agent's branch, runtime.json as `up` writes it, and the
// SQLite tracker that records the restart.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeRuntime } from '../../../src/crew/agents/layout.js';
import { Tmux } from '../../../src/crew/agents/tmux.js';
import { crewActions } from '../../../src/crew/dashboard/actions.js';
import { LocalTracker } from '../../../src/crew/tracker/index.js';

const socket = `crew-actions-${process.pid}`;
const tmux = new Tmux(socket);
afterEach(async () => {
  await tmux.killServer();
});

const git = (dir: string, ...a: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...a], {
    cwd: dir,
    encoding: 'utf8',
  });

const until = async (check: () => Promise<boolean>, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting for the pane');
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe("the dashboard's actions", () => {
  it('attach command, send a line, restart in the pane, and the diff of the branch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crew-actions-'));
    writeFileSync(join(dir, 'README.md'), 'project\n');
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'add', '.');
    git(dir, 'commit', '-q', '-m', 'chore: start');
    git(dir, 'checkout', '-q', '-b', 'crew/alpha');
    writeFileSync(join(dir, 'alpha.ts'), 'export const alpha = 1;\n');
    git(dir, 'add', '.');
    git(dir, 'commit', '-q', '-m', 'feat(alpha): alpha');
    git(dir, 'checkout', '-q', 'main');
    mkdirSync(join(dir, '.crew', 'briefs'), { recursive: true });
    writeFileSync(join(dir, '.crew', 'briefs', 'alpha.md'), '# Brief for alpha\n');
    const rt = {
      session: 'crew alpha',
      branch: 'crew/alpha',
      cwd: dir,
      worktree: true,
      argv: ['/bin/cat'],
      profile: 'plain',
    };
    writeRuntime(dir, {
      version: 1,
      socket,
      repo: dir,
      base: 'main',
      worktrees: true,
      self: [],
      agents: { alpha: rt },
    });
    await tmux.newSession({
      name: rt.session,
      cwd: dir,
      argv: rt.argv,
      env: {},
      remainOnExit: true,
      log: join(dir, '.crew', 'alpha.log'),
    });
    const tracker = new LocalTracker(join(dir, '.crew', 'tracker.db'));
    try {
      const actions = crewActions({ dir, planFile: join(dir, 'crew.yaml'), tracker });
      expect(actions.attachCommand('alpha')).toBe(`tmux -L ${socket} attach-session -t '=crew alpha'`);
      expect(() => actions.attachCommand('beta')).toThrow("agent 'beta' was not started by llm-crew up");

      expect(await actions.send('alpha', 'hello agent')).toBe('sent 11 characters to crew alpha');
      await until(async () => (await tmux.capture(rt.session)).includes('hello agent'));

      const pid = (await tmux.panes()).find((p) => p.session === rt.session)!.pid;
      expect(await actions.restart('alpha')).toBe('restarted alpha in crew alpha');
      await until(async () => {
        const pane = (await tmux.panes()).find((p) => p.session === rt.session);
        return !!pane && !pane.dead && pane.pid !== pid;
      });
      expect((await tracker.listEvents({ kind: 'restart' }))[0]).toMatchObject({
        agent: 'alpha',
        message: 'restarted by the coordinator (dashboard)',
      });

      const diff = await actions.diff('alpha');
      expect(diff).toMatch(
        /^ alpha\.ts \| 1 \+\n 1 file changed, 1 insertion\(\+\)\n\ndiff --git a\/alpha\.ts b\/alpha\.ts/,
      );
      expect(diff).toContain('+export const alpha = 1;');
    } finally {
      await tracker.close();
    }
  }, 60_000);

  it('says so when no crew runs here', () => {
    const dir = mkdtempSync(join(tmpdir(), 'crew-actions-'));
    const tracker = new LocalTracker(':memory:');
    const actions = crewActions({ dir, planFile: join(dir, 'crew.yaml'), tracker });
    expect(() => actions.attachCommand('alpha')).toThrow(
      /the crew is not running here \(no \.crew\/runtime\.json\)/,
    );
  });
});
