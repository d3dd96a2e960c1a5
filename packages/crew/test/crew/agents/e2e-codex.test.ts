// The real Codex CLI (the installed @openai/codex 0.171.0) as a crew agent, offline: a provider
// whose base_url is a local stand-in of the Responses API replays the scripted session (read the
// brief, write hello.txt, run the acceptance check, commit, close the issue through `llm-crew`).
// Codex runs in the crew's tmux session; its `notify` (set by the profile on the command line)
// reports the end of its turn, which the crew records as idle-done.
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import type { AgentStatus } from '../../../src/crew/agents/types.js';
import { startStandIn, type Step } from './model-server.js';
import { installedProgram } from './programs.js';
import { ACCEPTED, makeRealAgentProject, sessionCommands, waitFor } from './real-agent.js';
import { runCrew } from './run-crew.js';

const exec = promisify(execFile);
const codex = installedProgram('codex');
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

const run = 'path' in codex ? it : it.skip;
if (!('path' in codex)) it(`codex end to end: skipped, ${codex.missing}`, () => console.warn(codex.missing));

run(
  'the real codex replays the session against a Responses stand-in; its notify ends the turn',
  async () => {
    if (!('path' in codex)) return;
    const p = await makeRealAgentProject(
      'crew-codex-',
      `    program: codex\n    permissions: full\n    command: "'${process.execPath}' '${codex.path}'"`,
    );
    const { dir, worktree, tracker, issue } = p;
    cleanups.push(async () => tracker.close());
    const cmd = sessionCommands(issue.number);
    // Not a login shell: /etc/profile would reset the PATH that holds llm-crew.
    const shell = (c: string): Step => ({ tool: 'exec_command', input: { cmd: c, login: false } });
    const script: Step[] = [
      shell(cmd.readBrief),
      shell(`printf 'hello from alpha\\n' > hello.txt`),
      shell(cmd.check),
      shell(cmd.commit),
      shell(cmd.close),
      { text: 'Done: hello.txt is committed, its check passes and the issue is closed.' },
    ];
    const standIn = await startStandIn(script, 'exec_command');
    cleanups.push(() => standIn.close());

    // The provider and the folder's trust, as a user's config.toml would hold them.
    writeFileSync(
      join(p.home, 'config.toml'),
      `model = "gpt-stand-in"
model_provider = "standin"

[model_providers.standin]
name = "stand-in"
base_url = "${standIn.url}/v1"
env_key = "STANDIN_API_KEY"
wire_api = "responses"

[projects."${worktree}"]
trust_level = "trusted"
`,
    );
    const socket = `crew-codex-${process.pid}`;
    cleanups.push(() => exec('tmux', ['-L', socket, 'kill-server']));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${p.bin}:${process.env.PATH}`,
      HOME: p.home,
      CODEX_HOME: p.home,
      STANDIN_API_KEY: 'stand-in',
      LLM_SCRATCH_NOW: '',
    };
    const up = await runCrew(
      dir,
      ['up', '--socket', socket, '--interval', '0.5', '--no-dashboard', '--json'],
      env,
    );
    expect(up.code, up.stderr).toBe(0);

    await waitFor('the closed issue and the end of the turn', async () => {
      const closed = (await tracker.getIssue(issue.number))?.state === 'closed';
      const h = await tracker.listEvents({ agent: 'alpha', kind: 'hook' });
      const ended = h.some((e) => e.data?.event === 'agent-turn-complete');
      return closed && ended ? h : null;
    });
    expect(standIn.toolResults[0]).toContain('alpha');
    expect(standIn.toolResults.join('\n')).toContain(ACCEPTED);
    expect(readFileSync(join(worktree, 'hello.txt'), 'utf8')).toBe('hello from alpha\n');
    const log = execFileSync('git', ['log', '--format=%s', 'crew/alpha'], { cwd: dir, encoding: 'utf8' });
    expect(log.split('\n')[0]).toBe('feat(alpha): hello.txt');

    await waitFor('the supervisor to record idle-done', async () => {
      const s = await tracker.listEvents({ agent: 'alpha', kind: 'state' });
      return s.at(-1)?.data?.state === 'idle-done' ? s : null;
    });
    const status = await runCrew(dir, ['status', '--json'], env);
    const [alpha] = JSON.parse(status.stdout) as AgentStatus[];
    expect(alpha).toMatchObject({ state: 'running', activity: 'idle-done', restarts: 0 });
    const down = await runCrew(dir, ['down'], env);
    expect(down.code, down.stderr).toBe(0);
  },
  400_000,
);
