// The real Claude Code (the installed @anthropic-ai/claude-code 2.1.197) as a crew agent, offline:
// a local stand-in of the Messages API replays a scripted session in which the model reads the
// brief, writes a file, runs the acceptance check, commits and closes its issue through
// `llm-crew`. The real `claude` runs in the crew's tmux session with the hooks its profile
// configured; the crew sees them (working, then idle-done), `status` and the dashboard's snapshot
// show the agent done, and the issue ends closed.
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import type { AgentStatus, CrewEvent } from '../../../src/crew/agents/types.js';
import { LocalTracker } from '../../../src/crew/tracker/index.js';
import { llmBook } from '../plan/fixtures.js';
import { startStandIn, type StandIn, type Step } from './model-server.js';
import { installedProgram } from './programs.js';
import { CLI, TSX } from './project.js';
import { runCrew } from './run-crew.js';

const exec = promisify(execFile);
const claude = installedProgram('claude');
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

const CHECK = `import { readFileSync } from 'node:fs';
const text = readFileSync('hello.txt', 'utf8');
if (text !== 'hello from alpha\\n') { console.error('hello.txt: unexpected ' + JSON.stringify(text)); process.exit(1); }
console.log('acceptance: hello.txt is right');
`;

const PLAN = (claudePath: string) => `version: 1
project: { name: crew-claude }
book: { structure: structure.json }
agents:
  - id: alpha
    role: Alpha
    chapters: [1, 2, 3, 4, 5, 6, 7]
    program: claude
    permissions: full
    command: '${claudePath}'
milestones:
  - id: m1
    title: "M1: hello"
    owner: alpha
    day: 1
    deliverables: [{ id: hello, title: hello.txt, sections: ["1"] }]
`;

async function waitFor<T>(what: string, probe: () => Promise<T | null>, timeoutMs = 300_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await probe();
    if (v !== null) return v;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const run = 'path' in claude ? it : it.skip;
if (!('path' in claude))
  it(`claude end to end: skipped, ${claude.missing}`, () => console.warn(claude.missing));

run(
  'the real claude reads its brief, writes, checks, commits and closes its issue; the crew sees its hooks',
  async () => {
    if (!('path' in claude)) return;
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'crew-claude-')));
    const home = join(dir, '.home');
    const bin = join(dir, '.bin');
    mkdirSync(home);
    mkdirSync(bin);
    writeFileSync(join(dir, 'structure.json'), JSON.stringify(llmBook()));
    writeFileSync(join(dir, 'crew.yaml'), PLAN(claude.path));
    writeFileSync(join(dir, 'check.mjs'), CHECK);
    writeFileSync(join(dir, '.gitignore'), '.home/\n.bin/\n');
    const git = (...a: string[]) => execFileSync('git', a, { cwd: dir, stdio: 'ignore' });
    git('init', '-q', '-b', 'main');
    git('add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'chore: the project');
    const sync = await runCrew(dir, ['issues', 'sync']);
    expect(sync.code, sync.stderr).toBe(0);
    const tracker = new LocalTracker(join(dir, '.crew', 'tracker.db'));
    cleanups.push(async () => tracker.close());
    const issue = (await tracker.listIssues()).find((i) => i.key === 'task/m1/hello')!;

    // llm-crew on the agent's PATH, as a user's install would have it.
    writeFileSync(
      join(bin, 'llm-crew'),
      `#!/bin/sh\nexec '${process.execPath}' --import '${TSX}' '${CLI}' "$@"\n`,
    );
    chmodSync(join(bin, 'llm-crew'), 0o755);

    const worktree = join(dir, '.crew', 'worktrees', 'alpha');
    const script: Step[] = [
      { tool: 'Bash', input: { command: 'cat "$CREW_BRIEF"', description: 'Read my brief' } },
      { tool: 'Write', input: { file_path: join(worktree, 'hello.txt'), content: 'hello from alpha\n' } },
      { tool: 'Bash', input: { command: 'node check.mjs', description: 'Run the acceptance check' } },
      {
        tool: 'Bash',
        input: {
          command:
            'git add hello.txt && git -c user.name=alpha -c user.email=alpha@example.com commit -q -m "feat(alpha): hello.txt" && git log --format=%s -1',
          description: 'Commit',
        },
      },
      {
        tool: 'Bash',
        input: {
          command: `llm-crew issues close ${issue.number} --comment 'hello.txt committed; node check.mjs passes'`,
          description: 'Close my issue',
        },
      },
      { text: 'Done: hello.txt is committed, its check passes and the issue is closed.' },
    ];
    const standIn: StandIn = await startStandIn(() => script);
    cleanups.push(() => standIn.close());

    // A first run's questions (onboarding, the API key, trusting the folder, bypass mode) answered
    // as a user would have; nothing in it reaches the network.
    writeFileSync(
      join(home, '.claude.json'),
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
      PATH: `${bin}:${process.env.PATH}`,
      HOME: home,
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
    expect(standIn.toolResults.join('\n')).toContain('acceptance: hello.txt is right');
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
    expect(down.code, down.stderr).toBe(0);
  },
  400_000,
);
