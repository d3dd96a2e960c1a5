// Bad input to the runtime: a missing agent command stops `up` before any session starts and names
// the agent and the command; a missing tmux or git says what to install; command lines split like
// a shell's words without a shell; unknown programs get the plain profile.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../../src/crew/agents/exec.js';
import type { RuntimeState } from '../../../src/crew/agents/layout.js';
import type { AgentStatus } from '../../../src/crew/agents/types.js';
import { git as dashboardGit } from '../../../src/crew/dashboard/commits.js';
import { splitWords } from '../../../src/crew/agents/words.js';
import { UserError } from 'llm-scratch-core/errors';
import { makeProject } from './project.js';
import { runCrew } from './run-crew.js';

const exec = promisify(execFile);
const sockets: string[] = [];
afterAll(async () => {
  await Promise.all(sockets.map((s) => exec('tmux', ['-L', s, 'kill-server']).catch(() => {})));
});

async function serverRunning(socket: string): Promise<boolean> {
  return exec('tmux', ['-L', socket, 'list-sessions']).then(
    () => true,
    () => false,
  );
}

/** A PATH holding only the named programs. */
async function pathWith(...programs: string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'crew-path-'));
  for (const p of programs) symlinkSync((await exec('which', [p])).stdout.trim(), join(dir, p));
  return dir;
}

describe('llm-crew up refuses bad input before starting anything', () => {
  it('names the agent and the command that does not exist, and starts no session', async () => {
    const p = await makeProject({ b: 'no-such-agent-program --flag' });
    sockets.push(p.socket);
    const r = await runCrew(p.dir, ['up', '--socket', p.socket]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("agent 'beta': command 'no-such-agent-program' not found (not on PATH)");
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    // alpha's command is fine, but nothing started: not even a tmux server.
    expect(await serverRunning(p.socket)).toBe(false);

    const all = await runCrew(p.dir, ['up', '--socket', p.socket, '--command', './missing.sh']);
    expect(all.code).toBe(1);
    expect(all.stderr).toContain(
      `agent 'alpha': command './missing.sh' not found (no executable file at ${p.dir}/missing.sh)`,
    );
    expect(await serverRunning(p.socket)).toBe(false);
  }, 180_000);

  it('says to install tmux, or git, when it is missing', async () => {
    const p = await makeProject();
    sockets.push(p.socket);
    const noTmux = await runCrew(p.dir, ['up', '--socket', p.socket], {
      ...process.env,
      PATH: await pathWith('node'),
    });
    expect(noTmux.code).toBe(1);
    expect(noTmux.stderr).toContain(
      'tmux is not installed or not on PATH: install it (Debian/Ubuntu: sudo apt-get install tmux',
    );
    const noGit = await runCrew(p.dir, ['up', '--socket', p.socket], {
      ...process.env,
      PATH: await pathWith('node', 'tmux'),
    });
    expect(noGit.code).toBe(1);
    expect(noGit.stderr).toContain(
      'git is not installed or not on PATH: install it (Debian/Ubuntu: sudo apt-get install git',
    );
    expect(await serverRunning(p.socket)).toBe(false);
  }, 180_000);
});

describe('a program that cannot start names what is missing', () => {
  it('a working directory that does not exist is not a missing program', async () => {
    const gone = join(tmpdir(), `crew-gone-${process.pid}`, 'worktree');
    await expect(run('git', ['status'], { cwd: gone })).rejects.toThrow(
      `git: cannot run in ${gone}: no such directory`,
    );
    expect(() => dashboardGit(gone, ['log'])).toThrow(`git: cannot run in ${gone}: no such directory`);
    const file = join(mkdtempSync(join(tmpdir(), 'crew-file-')), 'f');
    writeFileSync(file, '');
    await expect(run('git', ['status'], { cwd: file })).rejects.toThrow(
      `git: cannot run in ${file}: not a directory`,
    );
    await expect(run('no-such-program-here', [])).rejects.toThrow(
      'no-such-program-here: command not found (not on PATH)',
    );
  });

  it('status after down (worktrees removed) reads the branches from the repository', async () => {
    const p = await makeProject();
    const head = (await exec('git', ['rev-parse', 'HEAD'], { cwd: p.dir })).stdout.trim();
    await exec('git', ['branch', 'crew/alpha', head], { cwd: p.dir });
    const agent = (id: string, session: string) => ({
      session,
      branch: `crew/${id}`,
      cwd: join(p.dir, '.crew', 'worktrees', id),
      worktree: true,
      argv: ['node'],
      profile: 'plain',
    });
    const state: RuntimeState = {
      version: 1,
      socket: p.socket,
      repo: p.dir,
      base: 'main',
      worktrees: true,
      self: [],
      agents: { alpha: agent('alpha', "crew alpha; 'one'"), beta: agent('beta', 'crew-beta') },
    };
    mkdirSync(join(p.dir, '.crew'), { recursive: true });
    writeFileSync(join(p.dir, '.crew', 'runtime.json'), JSON.stringify(state));
    const r = await runCrew(p.dir, ['status', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [alpha, beta] = JSON.parse(r.stdout) as AgentStatus[];
    expect(alpha).toMatchObject({ state: 'missing', worktree: null, branch: 'crew/alpha', ahead: 0 });
    expect(alpha!.lastCommit?.subject).toBe('chore: the project');
    expect(beta).toMatchObject({ state: 'missing', worktree: null, branch: 'crew/beta', lastCommit: null });
  }, 60_000);
});

describe('command lines', () => {
  it('split into words like a shell, with no expansion, keeping ;, $ and quotes inside words', () => {
    expect(splitWords(`node "my agent.mjs" --say "it's a; \\"quoted\\" test" 'a b' x\\ y`)).toEqual([
      'node',
      'my agent.mjs',
      '--say',
      `it's a; "quoted" test`,
      'a b',
      'x y',
    ]);
    expect(splitWords('a;b $HOME `x` *')).toEqual(['a;b', '$HOME', '`x`', '*']);
    expect(splitWords(`say ''`)).toEqual(['say', '']);
    expect(() => splitWords('say "oops')).toThrow(UserError);
  });
});
