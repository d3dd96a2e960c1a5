// Runtime safety on real tmux (a private server per project), git and SQLite, with `up`, `down` and
// the supervisor run in this process and agents that only sleep, so that the file takes seconds:
// a second `up` is refused (racing, again, or on another socket), a session of an agent's name that
// the crew did not start is reported and never adopted or killed, `down` keeps a dirty worktree and
// one a process still works in, and a killed agent (kill -9, or its session killed) is restarted
// within two polls.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { crewDown, type DownResult } from '../../../src/crew/agents/down.js';
import { requireRuntime } from '../../../src/crew/agents/layout.js';
import { acquireLock } from '../../../src/crew/agents/lock.js';
import { collectStatus } from '../../../src/crew/agents/status.js';
import { Supervisor } from '../../../src/crew/agents/supervisor.js';
import { crewUp, type UpOptions } from '../../../src/crew/agents/up.js';
import { loadPlan } from '../../../src/crew/plan/index.js';
import { LocalTracker } from '../../../src/crew/tracker/index.js';
import { CLI, makeProject, TSX, type Project } from './project.js';
import { runCrew } from './run-crew.js';
import { llmCrew } from '../../../src/cli/llm-crew.js';
import { runCli } from '../../../../../test/helpers/cli.js';

const exec = promisify(execFile);
const sockets: string[] = [];
const trackers: LocalTracker[] = [];
afterAll(async () => {
  await Promise.all(trackers.map((t) => t.close()));
  await Promise.all(sockets.map((s) => exec('tmux', ['-L', s, 'kill-server']).catch(() => {})));
});

const tmux = (socket: string, ...args: string[]) => exec('tmux', ['-L', socket, ...args]);

async function sessions(socket: string): Promise<string[]> {
  const r = await tmux(socket, 'list-sessions', '-F', '#{session_name}').catch(() => ({ stdout: '' }));
  return r.stdout.split('\n').filter(Boolean).sort();
}

async function panePid(socket: string, session: string): Promise<number> {
  const r = await tmux(socket, 'list-panes', '-t', `=${session}:`, '-F', '#{pane_pid}');
  return Number(r.stdout.trim());
}

/** A project whose agents sleep, and what `up` needs to run in this process. */
async function sleepers(): Promise<{
  p: Project;
  up: (o?: Partial<UpOptions>) => ReturnType<typeof crewUp>;
  tracker: LocalTracker;
}> {
  const p = await makeProject({ a: 'sleep 600', b: 'sleep 600' });
  sockets.push(p.socket, `${p.socket}-other`);
  const tracker = new LocalTracker(join(p.dir, '.crew', 'tracker.db'));
  trackers.push(tracker);
  const up = (o: Partial<UpOptions> = {}) =>
    crewUp({
      ctx: loadPlan(join(p.dir, 'crew.yaml'), { check: false }),
      tracker,
      socket: p.socket,
      worktrees: true,
      self: [process.execPath, '--import', TSX, CLI],
      // The supervisor waits a long time before its first look: these tests drive their own.
      superviseArgs: ['--interval', '3600'],
      ...o,
    });
  return { p, up, tracker };
}

describe("up's lock", () => {
  it('is refused while its holder runs, taken over once the holder is gone, and released', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'crew-lock-')), '.crew', 'up.lock');
    const holder = spawn('sleep', ['600'], { stdio: 'ignore' });
    const release = acquireLock(file, 'llm-crew up');
    expect(readFileSync(file, 'utf8')).toBe(`${process.pid}\n`);
    expect(() => acquireLock(file, 'llm-crew up')).toThrow(
      `another llm-crew up (pid ${process.pid}) holds ${file}`,
    );
    release();
    expect(existsSync(file)).toBe(false);

    writeFileSync(file, `${holder.pid}\n`);
    expect(() => acquireLock(file, 'llm-crew up')).toThrow(`(pid ${holder.pid})`);
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    // The holder died without releasing it (a crash, kill -9): the next up takes it over.
    const again = acquireLock(file, 'llm-crew up');
    expect(readFileSync(file, 'utf8')).toBe(`${process.pid}\n`);
    again();
  });
});

describe('up, down and the supervisor keep one crew per plan', () => {
  it('refuses a second up, a foreign session, and keeps dirty and busy worktrees at down', async () => {
    const { p, up, tracker } = await sleepers();
    // Someone else's session with beta's name: up names it and starts nothing at all.
    await tmux(p.socket, 'new-session', '-d', '-s', 'crew-beta', 'sleep', '600');
    await expect(up()).rejects.toThrow(
      `agent 'beta': a tmux session 'crew-beta' that this crew did not start already runs on tmux socket '${p.socket}'`,
    );
    expect(await sessions(p.socket)).toEqual(['crew-beta']);

    // Two ups racing: one starts alpha and the coordinator, the other is refused.
    const race = await Promise.allSettled([up({ agents: ['alpha'] }), up({ agents: ['alpha'] })]);
    const won = race.filter((r) => r.status === 'fulfilled');
    const lost = race.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(String(lost[0]!.reason)).toMatch(/another llm-crew up \(pid \d+\) holds|already running/);
    expect(await sessions(p.socket)).toEqual(["crew alpha; 'one'", 'crew-beta', 'llm-coordinator']);

    // Again on the same server, and on another one: refused, nothing started.
    await expect(up({ agents: ['alpha'] })).rejects.toThrow(
      `the crew is already running on tmux socket '${p.socket}'`,
    );
    await expect(up({ socket: `${p.socket}-other` })).rejects.toThrow(
      `a crew of this plan already runs on tmux socket '${p.socket}'`,
    );
    expect(await sessions(`${p.socket}-other`)).toEqual([]);
    expect(requireRuntime(p.dir).socket).toBe(p.socket);

    // status reads the socket from runtime.json and tells the foreign session apart.
    const plan = loadPlan(join(p.dir, 'crew.yaml'), { check: false }).plan;
    const status = await collectStatus({ plan, repoDir: p.dir, tracker });
    expect(status.map((s) => [s.agent, s.state])).toEqual([
      ['alpha', 'running'],
      ['beta', 'foreign'],
    ]);

    // Nothing is typed into someone else's session.
    const send = await runCli(llmCrew, ['send', 'beta', 'hello there', '--plan', join(p.dir, 'crew.yaml')]);
    expect(send.code).toBe(1);
    expect(send.stderr).toBe(
      "llm-crew send: agent 'beta': session 'crew-beta' was not started by this crew; leaving it alone (llm-crew status shows it as foreign)\n",
    );
    expect((await tmux(p.socket, 'capture-pane', '-p', '-t', '=crew-beta:')).stdout).not.toContain('hello');

    // down: alpha's worktree has an uncommitted file, and a process outside tmux works in it.
    const alpha = join(p.dir, '.crew', 'worktrees', 'alpha');
    writeFileSync(join(alpha, 'wip.txt'), 'half done\n');
    const busy = spawn('sleep', ['600'], { cwd: alpha, stdio: 'ignore' });
    try {
      // Through the command line: the report on stdout, then exit 1 and one line for the process.
      const r = await runCrew(p.dir, ['down', '--json']);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(
        `llm-crew down: alpha: processes still run in its worktree, kept (${alpha}: pid ${busy.pid}); stop them and run llm-crew down again`,
      );
      const down = JSON.parse(r.stdout) as DownResult;
      expect(down.stopped.sort()).toEqual(["crew alpha; 'one'", 'llm-coordinator']);
      expect(down.foreign).toEqual([]);
      expect(down.dirty).toEqual([{ agent: 'alpha', worktree: alpha, files: ['wip.txt'] }]);
      expect(down.running).toEqual([
        { agent: 'alpha', worktree: alpha, processes: [{ pid: busy.pid, command: 'sleep 600' }] },
      ]);
      expect(down.keptWorktrees).toEqual([alpha]);
      expect(existsSync(join(alpha, 'wip.txt'))).toBe(true);
      // The foreign session still runs: down never kills what this crew did not start.
      expect(await sessions(p.socket)).toEqual(['crew-beta']);
    } finally {
      busy.kill();
    }
  }, 60_000);

  it('restarts an agent killed with -9, or whose session was killed, within two polls; leaves a foreign one', async () => {
    const { p, up, tracker } = await sleepers();
    await up();
    await tmux(p.socket, 'kill-session', '-t', '=llm-coordinator');
    const supervisor = new Supervisor({
      ctx: loadPlan(join(p.dir, 'crew.yaml'), { check: false }),
      state: requireRuntime(p.dir),
      tracker,
      settings: { silentAfterS: 3600, maxRestarts: 5, backoffS: 0.3, backoffMaxS: 0.3, debounceS: 3 },
    });
    // Two polls 0.5 s apart, the interval longer than the backoff as with the defaults (5 s and 5 s).
    const twoPolls = async () => {
      await supervisor.tick();
      await new Promise((r) => setTimeout(r, 500));
      await supervisor.tick();
    };
    // A state event names the state the supervisor decided.
    const kinds = async (agent: string) =>
      (await tracker.listEvents({ agent })).map((e) =>
        e.kind === 'state' ? `state ${String(e.data?.state)}` : e.kind,
      );

    const alphaSession = "crew alpha; 'one'";
    const before = await panePid(p.socket, alphaSession);
    process.kill(before, 'SIGKILL');
    // From when tmux has seen the kill (at once, next to a 5 s poll) the two polls count.
    for (let dead = ''; dead !== '1';) {
      await new Promise((r) => setTimeout(r, 20));
      dead = (
        await tmux(p.socket, 'list-panes', '-t', `=${alphaSession}:`, '-F', '#{pane_dead}')
      ).stdout.trim();
    }
    await twoPolls();
    expect(await kinds('alpha')).toEqual(['start', 'state exited', 'exit', 'restart']);
    const [exit] = await tracker.listEvents({ agent: 'alpha', kind: 'exit' });
    // tmux 3.3a sometimes marks a SIGKILLed pane dead without ever recording its signal (2 of 8
    // kills of a bare `sleep` pane, polled for 2 s); the restart does not depend on it.
    expect(exit!.message).toMatch(/^(was killed by signal 9|ended; tmux recorded no exit status or signal)$/);
    const after = await panePid(p.socket, alphaSession);
    expect(after).not.toBe(before);
    expect((await exec('ps', ['-o', 'args=', '-p', String(after)])).stdout.trim()).toMatch(/sleep 600$/);

    await tmux(p.socket, 'kill-session', '-t', '=crew-beta');
    await twoPolls();
    expect(await kinds('beta')).toEqual(['start', 'state working', 'state exited', 'exit', 'restart']);
    expect(await sessions(p.socket)).toEqual([alphaSession, 'crew-beta']);

    // Beta's session replaced by someone else's: reported once, neither restarted nor killed.
    await tmux(p.socket, 'kill-session', '-t', '=crew-beta');
    await tmux(p.socket, 'new-session', '-d', '-s', 'crew-beta', 'sleep', '600');
    await twoPolls();
    expect(await kinds('beta')).toEqual([
      'start',
      'state working',
      'state exited',
      'exit',
      'restart',
      'foreign',
    ]);
    const down = await crewDown({ dir: p.dir, tracker, keepWorktrees: false, graceMs: 2000 });
    expect(down.foreign).toEqual([{ agent: 'beta', session: 'crew-beta' }]);
    expect(down.running).toEqual([]);
    expect(await sessions(p.socket)).toEqual(['crew-beta']);
  }, 60_000);
});
