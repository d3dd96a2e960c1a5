// The crew's runtime end to end on real tmux (a private server per test) and real git: `up` starts
// the scripted agents of project.ts and the coordinator, one agent crashes on purpose and the
// supervisor restarts it, both commit and mark their issues ready for review through `llm-crew
// issues`, `test --merge` merges their branches and runs the integration test, and `down` leaves no
// session and no process behind. Then the same with --no-worktrees.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { AgentStatus } from '../../../src/crew/agents/types.js';
import { collectStatus } from '../../../src/crew/agents/status.js';
import { loadPlan } from '../../../src/crew/plan/index.js';
import { LocalTracker } from '../../../src/crew/tracker/index.js';
import { makeProject, type Project } from './project.js';
import { runCrew } from './run-crew.js';

const exec = promisify(execFile);
const sockets: string[] = [];

afterAll(async () => {
  // Whatever happened, no tmux server (and so no agent) of ours outlives the tests.
  await Promise.all(sockets.map((s) => exec('tmux', ['-L', s, 'kill-server']).catch(() => {})));
});

async function tmuxSessions(socket: string): Promise<string[] | null> {
  try {
    const { stdout } = await exec('tmux', ['-L', socket, 'list-sessions', '-F', '#{session_name}']);
    return stdout.split('\n').filter(Boolean).sort();
  } catch {
    return null; // no server
  }
}

/** Processes whose command line mentions the project directory (its agents, its supervisor). */
async function projectProcesses(dir: string): Promise<string[]> {
  const { stdout } = await exec('ps', ['-eo', 'pid=,args=']);
  return stdout.split('\n').filter((l) => l.includes(dir) && !l.includes('ps -eo'));
}

async function waitFor<T>(what: string, probe: () => Promise<T | null>, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < end) {
    try {
      const v = await probe();
      if (v !== null) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

async function crewOk(p: Project, ...args: string[]): Promise<string> {
  const r = await runCrew(p.dir, args);
  if (r.code !== 0) throw new Error(`llm-crew ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

async function runCrewOnce(worktrees: boolean): Promise<void> {
  const t0 = performance.now();
  const times: string[] = [];
  const step = (name: string) => times.push(`${name} ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const p = await makeProject();
  step('project');
  sockets.push(p.socket);
  // The dashboard has tests of its own; left out here it leaves the CPU to the agents.
  const upArgs = [
    'up',
    '--socket',
    p.socket,
    '--interval',
    '0.5',
    '--backoff',
    '0.5',
    '--no-dashboard',
    '--json',
  ];
  if (!worktrees) upArgs.push('--no-worktrees');
  const up = JSON.parse(await crewOk(p, ...upArgs)) as { started: string[] };
  step('up');
  expect(up.started).toEqual(['alpha', 'beta']);
  expect(await tmuxSessions(p.socket)).toEqual(["crew alpha; 'one'", 'crew-beta', 'llm-coordinator']);

  // Both agents commit and mark their issues; beta only after the supervisor restarted it.
  const tracker = new LocalTracker(join(p.dir, '.crew', 'tracker.db'));
  const plan = loadPlan(join(p.dir, 'crew.yaml'), { check: false }).plan;
  try {
    await waitFor('both agents to commit and beta to be restarted', async () => {
      const s = await collectStatus({ plan, repoDir: p.dir, tracker });
      // With --no-worktrees both commit on main: look for each agent's commit on its branch.
      const subjects = await Promise.all(
        s.map(async (a) => (await exec('git', ['log', '--format=%s', a.branch!], { cwd: p.dir })).stdout),
      );
      const done = s.every((a, i) => a.state === 'running' && subjects[i]!.includes(`feat(${a.agent})`));
      return done && s.find((a) => a.agent === 'beta')!.restarts >= 1 ? s : null;
    });
    step('agents done');
    // The command line's view of the same.
    const [alpha, beta] = JSON.parse(await crewOk(p, 'status', '--json')) as AgentStatus[];
    expect(alpha!.restarts).toBe(0);
    expect(beta!.restarts).toBe(1);
    expect(alpha!.branch).toBe(worktrees ? 'crew/alpha' : 'main');
    if (worktrees) expect(alpha!.ahead).toBe(1);
    const cwd = (a: string) => (worktrees ? join(p.dir, '.crew', 'worktrees', a) : p.dir);
    // The argument with a quote, a ';' and double quotes arrived as one argument, unchanged.
    expect(readFileSync(join(cwd('alpha'), 'alpha.txt'), 'utf8')).toBe(
      `alpha was here\nit's a; "quoted" test\n`,
    );
    expect(readFileSync(join(cwd('beta'), 'beta.txt'), 'utf8')).toContain('after a restart');

    if (worktrees) {
      // send types into the session (tmux echoes it on the idle agent's terminal); logs reads pipe-pane's file.
      await crewOk(p, 'send', 'alpha', `hello; 'there' "you"`);
      await waitFor("the sent text on alpha's screen", async () => {
        const { stdout } = await exec('tmux', [
          '-L',
          p.socket,
          'capture-pane',
          '-p',
          '-t',
          `=crew alpha; 'one':`,
        ]);
        return stdout.includes(`hello; 'there' "you"`) ? true : null;
      });
      expect(await crewOk(p, 'logs', 'beta')).toMatch(
        /beta: crashing on purpose[\s\S]*beta: committed beta.txt/,
      );
    }

    // `up` again is refused and starts nothing twice.
    const again = await runCrew(p.dir, upArgs);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`the crew is already running on tmux socket '${p.socket}'`);
    expect(await tmuxSessions(p.socket)).toHaveLength(3);

    await waitFor('both issues ready for review', async () => {
      const ready = await tracker.listIssues({ label: ['ready-for-review'] });
      return ready.length === 2 ? ready : null;
    });
    // The supervisor's state verdicts aside: a scripted agent has no hooks and prints nothing once done.
    const lifecycle = async (agent: string) =>
      (await tracker.listEvents({ agent })).map((e) => e.kind).filter((k) => k !== 'state');
    expect((await lifecycle('beta')).slice(0, 3)).toEqual(['start', 'exit', 'restart']);
    expect(await lifecycle('alpha')).toEqual(['start']);
    const alphaStates = await tracker.listEvents({ agent: 'alpha', kind: 'state' });
    expect(alphaStates.map((e) => e.data?.state)).toEqual(['working']);

    step('issues ready');
    const test = await runCrew(p.dir, ['test', '--merge', '--json']);
    step('test --merge');
    expect(test.code, test.stderr).toBe(0);
    const result = JSON.parse(test.stdout) as { merged: string[]; passed: number; mergedIntoBase: boolean };
    expect(result).toMatchObject({ merged: worktrees ? ['alpha', 'beta'] : [], passed: 1, failed: 0 });
    expect(result.mergedIntoBase).toBe(worktrees);
    const main = (await exec('git', ['log', '--format=%s', 'main'], { cwd: p.dir })).stdout;
    expect(main).toContain('feat(alpha): alpha.txt');
    expect(main).toContain('feat(beta): beta.txt');
    const [event] = await tracker.listEvents({ kind: 'test' });
    expect(event!.data).toMatchObject({
      passed: 1,
      failed: 0,
      conflicts: 0,
      perIntegrationPoint: { 'both-files': { status: 'passed' } },
    });
    const issue = (await tracker.listIssues({ state: 'all' })).find(
      (i) => i.key === 'integration/both-files',
    )!;
    expect((await tracker.listComments(issue.number)).at(-1)!.body).toContain('`node check.mjs` passes');
  } finally {
    await tracker.close();
  }

  const down = JSON.parse(await crewOk(p, 'down', '--json')) as { stopped: string[]; dirty: unknown[] };
  expect(down.stopped).toHaveLength(3);
  expect(down.dirty).toEqual([]);
  expect(await tmuxSessions(p.socket)).toBeNull();
  await waitFor(
    'every process of the crew to end',
    async () => ((await projectProcesses(p.dir)).length === 0 ? true : null),
    10_000,
  );
  if (worktrees) expect(existsSync(join(p.dir, '.crew', 'worktrees', 'alpha'))).toBe(false);
  step('down');
  console.log(`${worktrees ? 'worktrees' : '--no-worktrees'}: ${times.join(', ')}`);
}

describe('llm-crew on real tmux', () => {
  it(
    'up, a crash restarted by the supervisor, test --merge, down (worktrees)',
    () => runCrewOnce(true),
    240_000,
  );
  it('the same with --no-worktrees', () => runCrewOnce(false), 240_000);
});
