// The terminal dashboard drawn by Ink into ink-testing-library's fake terminal, from snapshots of a
// real tracker and git repository; the live view redraws when an issue closes.
import { render } from 'ink-testing-library';
import { createElement as h } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { buildSnapshot } from '../../../src/crew/dashboard/snapshot.js';
import type { DashboardActions } from '../../../src/crew/dashboard/actions.js';
import { Dashboard, LiveDashboard } from '../../../src/crew/dashboard/terminal.js';
import { closeByKey, crewProject, running, type Project } from './fixtures.js';

let project: Project | null = null;
afterEach(async () => {
  await project?.tracker.close();
  project = null;
});

const load = (p: Project) => () =>
  buildSnapshot({
    plan: p.plan,
    tracker: p.tracker,
    repo: p.dir,
    status: async () => [
      running('foundation', 'llm-foundation', {
        issue: { number: 1, title: 'Tokenizers and vocabulary' },
        restarts: 2,
      }),
      running('architecture', 'llm-architecture', { state: 'exited', pid: null }),
    ],
    now: () => new Date('2026-12-02T12:00:00Z'),
  });

const until = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting for the dashboard to redraw');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('terminal dashboard', () => {
  it('shows agents, milestones, integration points, commits with the convention breaker marked, test and events', async () => {
    const p = (project = await crewProject());
    await p.tracker.addEvent({
      agent: 'training',
      kind: 'gave-up',
      message: 'gave up after 5 restarts',
      data: null,
    });
    await p.tracker.addEvent({
      agent: null,
      kind: 'test',
      message: 'test: 1 passed, 1 failed, 0 conflicts',
      data: {
        passed: 1,
        failed: 1,
        conflicts: 0,
        perIntegrationPoint: {
          'tokenizer-interface': { status: 'passed' },
          'data-pipeline': { status: 'failed' },
        },
      },
    });
    // The tokenizer interface's check passed on foundation's branch, then failed on the merge.
    for (const [scope, status] of [
      ['branch', 'passed'],
      ['merge', 'passed'],
    ] as const)
      await p.tracker.addEvent({
        agent: 'foundation',
        kind: 'check',
        message: `integration/tokenizer-interface ${status}`,
        data: { scope, key: 'integration/tokenizer-interface', milestone: 'm5', status, sha: 'abc' },
      });
    const { lastFrame, unmount } = render(h(Dashboard, { snapshot: await load(p)() }));
    const frame = lastFrame()!;
    unmount();
    const line = (start: string) => frame.split('\n').find((l) => l.trimStart().startsWith(start)) ?? '';
    expect(frame).toContain('llm-crew: llm-scratch');
    expect(line('foundation')).toMatch(
      /^foundation\s+running\s+12s\s+0\/4\s+1\/2\s+2\s+0\s+2\s+#1 Tokenizers and vocabulary$/,
    );
    expect(frame).toContain('crew/foundation, last commit: none');
    expect(line('architecture')).toMatch(/architecture\s+exited/);
    expect(line('training')).toMatch(/training\s+no session/);
    expect(line('M1: Foundation')).toMatch(/\[----------\] 0\/2\s+foundation\s+due 2026-12-04/);
    expect(line('tokenizer-interface')).toMatch(
      /foundation -> architecture\s+day 3 \(2026-12-04\)\s+-\s+open, check passed$/,
    );
    expect(line('M5: Integration')).toMatch(/checks 1\/4$/);
    expect(line('architecture')).toMatch(/^architecture\s+exited\s+12s\s+0\/\d+\s+0\/1\s/);
    // The commit that breaks type(scope): subject is marked with an x, the others are not.
    expect(frame).toMatch(/^x [0-9a-f]{7} foundation .*added the loader$/m);
    expect(frame).toMatch(/^ {2}[0-9a-f]{7} foundation .*feat\(fundamentals\): a BPE tokenizer$/m);
    expect(frame).toContain('red: test: 1 passed, 1 failed, 0 conflicts');
    expect(frame).toMatch(/^ {2}tokenizer-interface\s+passed$/m);
    expect(frame).toMatch(/^ {2}data-pipeline\s+failed$/m);
    expect(frame).toMatch(/gave-up\s+training\s+gave up after 5 restarts/);
  });

  it('redraws live: closing an issue moves its milestone forward', async () => {
    const p = (project = await crewProject());
    const reload = load(p);
    const app = render(h(LiveDashboard, { first: await reload(), load: reload, intervalMs: 50 }));
    expect(app.lastFrame()).toMatch(/M1: Foundation\s+\[----------\] 0\/2/);
    await closeByKey(p, 'task/m1/tokenizer');
    await until(() => /M1: Foundation\s+\[#####-----\] 1\/2/.test(app.lastFrame()!));
    expect(app.lastFrame()).toMatch(/^foundation\s+running\s+12s\s+1\/4 /m);
    app.unmount();
  });

  it('keeps the last snapshot on screen and says why when a refresh fails', async () => {
    const p = (project = await crewProject());
    const first = await load(p)();
    const app = render(
      h(LiveDashboard, {
        first,
        load: () => Promise.reject(new Error('tracker database is locked')),
        intervalMs: 30,
      }),
    );
    await until(() => app.lastFrame()!.includes('refresh failed: tracker database is locked'));
    expect(app.lastFrame()).toContain('M1: Foundation');
    app.unmount();
  });

  it('takes keys: choose an agent, show the attach command, send a line, restart after a y, show the diff', async () => {
    const p = (project = await crewProject());
    const calls: string[] = [];
    const actions: DashboardActions = {
      attachCommand: (agent) => `tmux -L crew attach-session -t =llm-${agent}`,
      send: async (agent, text) => {
        calls.push(`send ${agent} ${text}`);
        return `sent ${text.length} characters to llm-${agent}`;
      },
      restart: async (agent) => {
        calls.push(`restart ${agent}`);
        return `restarted ${agent}`;
      },
      diff: async (agent) => {
        calls.push(`diff ${agent}`);
        if (agent === 'training') throw new Error('no branch crew/training');
        return ' tokenizer.ts | 1 +\n\n+feat(fundamentals): a BPE tokenizer';
      },
    };
    const reload = load(p);
    const app = render(
      h(LiveDashboard, { first: await reload(), load: reload, intervalMs: 60_000, actions }),
    );
    const frame = () => app.lastFrame()!;
    const press = async (keys: string, expect: RegExp) => {
      app.stdin.write(keys);
      await until(() => expect.test(frame())).catch((err: Error) => {
        throw new Error(`${err.message}: no ${String(expect)} in\n${frame()}`);
      });
    };
    expect(frame()).toContain(
      '[foundation] keys: up/down choose  a attach  s send  r restart  d diff  q quit',
    );
    // Ink listens to stdin from an effect, after the first frame.
    const stdin = app.stdin as unknown as NodeJS.EventEmitter;
    await until(() => stdin.listenerCount('readable') + stdin.listenerCount('data') > 0);
    await press('j', /\[architecture\] keys/);
    await press(
      'a',
      /attach: tmux -L crew attach-session -t =llm-architecture {2}\(or: llm-crew attach architecture\)/,
    );
    await press('s', /send to architecture> _/);
    for (const c of 'run tests') app.stdin.write(c);
    await until(() => frame().includes('send to architecture> run tests_'));
    app.stdin.write('\u007f'); // backspace
    await until(() => frame().includes('send to architecture> run test_'));
    await press('\r', /sent 8 characters to llm-architecture/);
    await press('r', /restart architecture\? y\/n/);
    await press('n', /restart cancelled/);
    await press('r', /restart architecture\? y\/n/);
    await press('y', /restarted architecture/);
    await press('\u001B[A', /\[foundation\] keys/); // arrow up
    await press('d', /diff of foundation \(Esc closes\)\n tokenizer\.ts \| 1 \+/);
    await press('\u001B', /^(?![\s\S]*diff of foundation)/);
    await press('j', /\[architecture\] keys/);
    await press('j', /\[training\] keys/);
    await press('d', /error: no branch crew\/training/);
    expect(calls).toEqual([
      'send architecture run test',
      'restart architecture',
      'diff foundation',
      'diff training',
    ]);
    app.unmount();
  });
});
