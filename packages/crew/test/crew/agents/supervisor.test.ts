// The supervisor on real tmux, run in-process after `up` (its coordinator session stopped first):
// an agent that always crashes is restarted with a recovery brief up to the limit, then given up on
// with its issue labelled blocked; an agent whose pane stays silent is restarted; nothing is
// committed on an agent's behalf.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { requireRuntime, recoveryFile } from '../../../src/crew/agents/layout.js';
import { backoffSeconds, Supervisor } from '../../../src/crew/agents/supervisor.js';
import { loadPlan } from '../../../src/crew/plan/index.js';
import { LocalTracker } from '../../../src/crew/tracker/index.js';
import { makeProject } from './project.js';
import { runCrew } from './run-crew.js';

const exec = promisify(execFile);
const sockets: string[] = [];
afterAll(async () => {
  await Promise.all(sockets.map((s) => exec('tmux', ['-L', s, 'kill-server']).catch(() => {})));
});

it('doubles the delay from the first restart up to the ceiling', () => {
  const s = { silentAfterS: 600, maxRestarts: 5, backoffS: 5, backoffMaxS: 60, debounceS: 3 };
  expect([0, 1, 2, 3, 4].map((n) => backoffSeconds(s, n))).toEqual([5, 10, 20, 40, 60]);
});

it('restarts a crashing agent up to the limit, then gives up and blocks its issue; restarts a silent one', async () => {
  const p = await makeProject({ a: `sh -c 'echo working; exit 4'`, b: 'sleep 600' });
  sockets.push(p.socket);
  const up = await runCrew(p.dir, ['up', '--socket', p.socket, '--backoff', '1000']);
  expect(up.code, up.stderr).toBe(0);
  await exec('tmux', ['-L', p.socket, 'kill-session', '-t', '=llm-coordinator']);

  const ctx = loadPlan(join(p.dir, 'crew.yaml'), { check: false });
  const tracker = new LocalTracker(join(p.dir, '.crew', 'tracker.db'));
  const supervisor = new Supervisor({
    ctx,
    state: requireRuntime(p.dir),
    tracker,
    settings: { silentAfterS: 2, maxRestarts: 2, backoffS: 0.2, backoffMaxS: 0.5, debounceS: 1 },
  });
  try {
    const end = Date.now() + 60_000;
    // The supervisor's state verdicts are checked on their own below.
    const kinds = async (agent: string) =>
      (await tracker.listEvents({ agent })).filter((e) => e.kind !== 'state').map((e) => e.kind);
    const states = async (agent: string) =>
      (await tracker.listEvents({ agent, kind: 'state' })).map((e) => e.data?.state);
    while (Date.now() < end) {
      await supervisor.tick();
      const a = await kinds('alpha');
      const b = await kinds('beta');
      if (a.includes('gave-up') && b.includes('restart')) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(await kinds('alpha')).toEqual(['start', 'exit', 'restart', 'exit', 'restart', 'exit', 'gave-up']);
    expect(await states('alpha')).toEqual(['exited', 'exited', 'exited']);
    // sleep prints nothing: working until the silence passes the threshold, then hung.
    expect((await states('beta')).slice(0, 2)).toEqual(['working', 'hung']);
    const beta = (await tracker.listEvents({ agent: 'beta' })).filter((e) => e.kind !== 'state');
    expect(beta.map((e) => e.kind).slice(0, 3)).toEqual(['start', 'silent', 'restart']);
    expect(beta[1]!.data).toMatchObject({ waiting: false });

    const task = (await tracker.listIssues()).find((i) => i.key === 'task/m1/a')!;
    expect(task.labels).toContain('blocked');
    expect((await tracker.listComments(task.number)).at(-1)!.body).toContain(
      'alpha gave up after 2 restarts',
    );
    const recovery = readFileSync(recoveryFile(p.dir, 'alpha'), 'utf8');
    expect(recovery).toContain('# Restart of alpha');
    // tmux 3.3a sometimes records no exit status for a pane whose process ended within
    // milliseconds of starting (seen on a loaded machine: the pane dead, its status still empty
    // 3 s later); the brief then says so instead of inventing one.
    expect(recovery).toMatch(
      /its process (exited with status 4|ended; tmux recorded no exit status or signal)/,
    );
    expect(recovery).toContain(`#${task.number} Alpha's file`);
    // Nothing committed for the agents: their branches are where up made them.
    const ahead = await exec('git', ['rev-list', '--count', 'main..crew/alpha', 'main..crew/beta'], {
      cwd: p.dir,
    });
    expect(ahead.stdout.trim()).toBe('0');
  } finally {
    await tracker.close();
    await runCrew(p.dir, ['down']);
  }
}, 180_000);
