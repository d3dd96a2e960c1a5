// The real Claude Code (the installed @anthropic-ai/claude-code 2.1.197) as a crew agent, offline:
// a local stand-in of the Messages API replays a scripted session in which the model reads the
// brief, writes a file, runs the acceptance check, commits and closes its issue through
// `llm-crew`. The real `claude` runs in the crew's tmux session with the hooks its profile
// configured; the crew sees them (working, then idle-done), `status` and the dashboard's snapshot
// show the agent done, and the issue ends closed.
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import type { AgentStatus, CrewEvent } from '../../../src/crew/agents/types.js';
import { startStandIn, type Step } from './model-server.js';
import { installedProgram } from './programs.js';
import { ACCEPTED, makeRealAgentProject, sessionCommands, waitFor } from './real-agent.js';
import { runCrew } from './run-crew.js';

const exec = promisify(execFile);
const claude = installedProgram('claude');
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

const run = 'path' in claude ? it : it.skip;
if (!('path' in claude))
  it(`claude end to end: skipped, ${claude.missing}`, () => console.warn(claude.missing));

run(
  'the real claude reads its brief, writes, checks, commits and closes its issue; the crew sees its hooks',
  async () => {
    if (!('path' in claude)) return;
    const p = await makeRealAgentProject(
      'crew-claude-',
      `    program: claude\n    permissions: full\n    command: '${claude.path}'`,
    );
    const { dir, worktree, tracker, issue } = p;
    cleanups.push(async () => tracker.close());
    const cmd = sessionCommands(issue.number);
    const script: Step[] = [
      { tool: 'Bash', input: { command: cmd.readBrief, description: 'Read my brief' } },
      { tool: 'Write', input: { file_path: join(worktree, 'hello.txt'), content: 'hello from alpha\n' } },
      { tool: 'Bash', input: { command: cmd.check, description: 'Run the acceptance check' } },
      { tool: 'Bash', input: { command: cmd.commit, description: 'Commit' } },
      { tool: 'Bash', input: { command: cmd.close, description: 'Close my issue' } },
      { text: 'Done: hello.txt is committed, its check passes and the issue is closed.' },
    ];
    const standIn = await startStandIn(script);
    cleanups.push(() => standIn.close());

    // A first run's questions (onboarding, the API key, trusting the folder, bypass mode) answered
    // as a user would have; nothing in it reaches the network.
    writeFileSync(
      join(p.home, '.claude.json'),
      JSON.stringify({
        hasCompletedOnboarding: true,
        theme: 'dark',
        bypassPermissionsModeAccepted: true,
        customApiKeyResponses: { approved: ['sk-ant-stand-in'], rejected: [] },
        projects: { [worktree]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true } },
      }),
    );
    const socket = `crew-claude-${process.pid}`;
    cleanups.push(() => exec('tmux', ['-L', socket, 'kill-server']));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${p.bin}:${process.env.PATH}`,
      HOME: p.home,
      ANTHROPIC_BASE_URL: standIn.url,
      ANTHROPIC_API_KEY: 'sk-ant-stand-in',
      // permissions: full is --dangerously-skip-permissions, which Claude Code refuses to root elsewhere.
      IS_SANDBOX: '1',
      // The crew's processes and tmux must share one clock: hook times are set against pane activity.
      LLM_SCRATCH_NOW: '',
    };
    const up = await runCrew(
      dir,
      ['up', '--socket', socket, '--interval', '0.5', '--no-dashboard', '--json'],
      env,
    );
    expect(up.code, up.stderr).toBe(0);
    expect(JSON.parse(up.stdout)).toMatchObject({ started: ['alpha'] });
    const settings = JSON.parse(readFileSync(join(worktree, '.claude', 'settings.local.json'), 'utf8')) as {
      hooks: Record<string, unknown>;
    };
    expect(Object.keys(settings.hooks)).toContain('Stop');

    const hooks = async () => tracker.listEvents({ agent: 'alpha', kind: 'hook' });
    const final = await waitFor('the closed issue and the Stop hook', async () => {
      const closed = (await tracker.getIssue(issue.number))?.state === 'closed';
      const h = await hooks();
      return closed && h.at(-1)?.data?.state === 'idle-done' ? h : null;
    });
    const states = final.map((e: CrewEvent) => `${String(e.data?.state)} ${String(e.data?.event)}`);
    expect(states[0]).toBe('working UserPromptSubmit');
    expect(states).toContain('working PreToolUse');
    expect(states.at(-1)).toBe('idle-done Stop');

    // What the model's tools did, in the agent's worktree and the tracker.
    expect(standIn.toolResults[0]).toContain('alpha'); // the brief names its agent
    expect(standIn.toolResults.join('\n')).toContain(ACCEPTED);
    expect(readFileSync(join(worktree, 'hello.txt'), 'utf8')).toBe('hello from alpha\n');
    const log = execFileSync('git', ['log', '--format=%s', 'crew/alpha'], { cwd: dir, encoding: 'utf8' });
    expect(log.split('\n')[0]).toBe('feat(alpha): hello.txt');
    const comments = await tracker.listComments(issue.number);
    expect(comments.at(-1)!.body).toContain('node check.mjs passes');
    // The hook settings stay out of the agent's commits.
    expect(execFileSync('git', ['status', '--porcelain'], { cwd: worktree, encoding: 'utf8' })).toBe('');

    // The supervisor's verdict, status and the dashboard agree: done and idle, not hung.
    await waitFor('the supervisor to record idle-done', async () => {
      const s = await tracker.listEvents({ agent: 'alpha', kind: 'state' });
      return s.at(-1)?.data?.state === 'idle-done' ? s : null;
    });
    const status = await runCrew(dir, ['status', '--json'], env);
    const [alpha] = JSON.parse(status.stdout) as AgentStatus[];
    expect(alpha).toMatchObject({
      state: 'running',
      activity: 'idle-done',
      waitingForInput: false,
      restarts: 0,
    });
    const dash = await runCrew(dir, ['dashboard', '--json'], env);
    expect(dash.code, dash.stderr).toBe(0);
    const snapshot = JSON.parse(dash.stdout) as {
      agents: { agent: string; activity: string }[];
      events: CrewEvent[];
    };
    expect(snapshot.agents.find((a) => a.agent === 'alpha')!.activity).toBe('idle-done');
    expect(snapshot.events.some((e) => e.kind === 'hook' && e.data?.state === 'idle-done')).toBe(true);

    const down = await runCrew(dir, ['down'], env);
    expect(down.code, down.stderr + down.stdout).toBe(0);
  },
  400_000,
);
