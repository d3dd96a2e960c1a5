// The snapshot the dashboard draws, from a real tracker and a real git repository: progress per
// milestone, integration points planned against actual, commits attributed to agent branches with
// the convention breakers marked, the last test and the events newest first.
import { afterEach, describe, expect, it } from 'vitest';
import { followsConvention } from '../../../src/crew/dashboard/commits.js';
import { buildSnapshot } from '../../../src/crew/dashboard/snapshot.js';
import { closeByKey, commit, crew, crewProject, git, running, type Project } from './fixtures.js';

let project: Project | null = null;
afterEach(async () => {
  await project?.tracker.close();
  project = null;
});

const snapshot = (p: Project, now = new Date('2026-12-05T12:00:00Z')) =>
  buildSnapshot({
    plan: p.plan,
    tracker: p.tracker,
    repo: p.dir,
    status: async () => [running('foundation', 'llm-foundation', { waitingForInput: true })],
    now: () => now,
  });

describe('the commit convention', () => {
  it('accepts type(scope): subject and type: subject, rejects the rest', () => {
    expect(followsConvention('feat(crew): a dashboard')).toBe(true);
    expect(followsConvention('fix(tracker/local)!: migrate')).toBe(true);
    expect(followsConvention('docs: the README')).toBe(true);
    expect(followsConvention('added the loader')).toBe(false);
    expect(followsConvention('feat(crew):no space')).toBe(false);
    expect(followsConvention('feature(crew): unknown type')).toBe(false);
    expect(followsConvention('Feat(crew): capital')).toBe(false);
  });
});

describe('buildSnapshot', () => {
  it('gathers agents, milestones, integration points, commits, the last test and events', async () => {
    const p = (project = await crewProject());
    await closeByKey(p, 'task/m1/tokenizer');
    await crew(p.dir, 'issues', 'label', '2', '--add', 'blocked');
    await p.tracker.addEvent({
      agent: 'training',
      kind: 'restart',
      message: 'restarted after exit',
      data: { attempt: 1 },
    });
    await p.tracker.addEvent({
      agent: null,
      kind: 'test',
      message: '3 passed, 1 failed',
      data: { ok: false },
    });
    await p.tracker.addEvent({ agent: null, kind: 'test', message: '4 passed', data: { ok: true } });

    const s = await snapshot(p);
    expect(s.project).toBe('llm-scratch');
    expect(s.start).toBe('2026-12-01T00:00:00.000Z');
    expect(s.agents.map((a) => [a.agent, a.state])).toEqual([
      ['foundation', 'running'],
      ['architecture', 'missing'],
      ['training', 'missing'],
      ['application', 'missing'],
    ]);
    const foundation = s.agents[0]!;
    expect(foundation.waitingForInput).toBe(true);
    // Its two tasks and the two interfaces it produces carry its label; one task closed, one blocked.
    expect([foundation.closed, foundation.open, foundation.blocked]).toEqual([1, 3, 1]);

    const m1 = s.milestones.find((m) => m.id === 'm1')!;
    // Due 2026-12-04, still open on 2026-12-05 noon: late.
    expect(m1).toMatchObject({ total: 2, closed: 1, blocked: 1, due: '2026-12-04', state: 'late' });
    expect(s.milestones.find((m) => m.id === 'm4')).toMatchObject({ total: 2, closed: 0, state: 'open' });

    expect(s.integration.map((x) => [x.id, x.plannedDate, x.state, x.late])).toEqual([
      ['tokenizer-interface', '2026-12-04', 'open', true],
      ['data-pipeline', '2026-12-05', 'open', false],
      ['model-forward', '2026-12-08', 'open', false],
      ['training-infrastructure', '2026-12-11', 'open', false],
    ]);

    expect(s.commits.map((c) => [c.agent, c.subject, c.conventional])).toEqual([
      ['foundation', 'added the loader', false],
      ['foundation', 'feat(fundamentals): a BPE tokenizer', true],
      [null, 'chore: the crew plan', true],
    ]);
    expect(s.lastTest).toMatchObject({ kind: 'test', message: '4 passed', data: { ok: true } });
    expect(s.events.map((e) => e.message)).toEqual([
      '4 passed',
      '3 passed, 1 failed',
      'restarted after exit',
    ]);
  });

  it('shows an integration point as integrated once its issue closes, with the actual day', async () => {
    const p = (project = await crewProject());
    await crew(p.dir, 'issues', 'label', String(await closeByKey(p, 'task/m1/tokenizer')), '--add', 'x');
    const point = (await p.tracker.listIssues()).find((i) => i.key === 'integration/tokenizer-interface')!;
    await crew(p.dir, 'issues', 'label', String(point.number), '--add', 'ready-for-review');
    expect((await snapshot(p)).integration[0]).toMatchObject({ state: 'ready', actualAt: null });

    await closeByKey(p, 'integration/tokenizer-interface');
    const closed = (await p.tracker.getIssue(point.number)).updatedAt;
    // Seen from three days after day 0, judged against the real closing time.
    const x = (await snapshot(p, new Date('2026-12-04T06:00:00Z'))).integration[0]!;
    expect(x).toMatchObject({ state: 'closed', actualAt: closed, issue: point.number });
    const day =
      Math.round(((Date.parse(closed) - Date.parse('2026-12-01T00:00:00Z')) / 86_400_000) * 10) / 10;
    expect(x.actualDay).toBe(day);
    expect(x.late).toBe(Date.parse(closed) > Date.parse('2026-12-05T00:00:00Z'));
  });

  it('attributes a merged branch commit to the agent that made it', async () => {
    const p = (project = await crewProject());
    git(p.dir, 'merge', '-q', '--no-ff', '-m', 'Merge crew/foundation', 'crew/foundation');
    commit(p.dir, 'notes.md', 'docs: notes on main');
    const s = await snapshot(p);
    expect(s.commits.map((c) => [c.agent, c.subject])).toEqual([
      [null, 'docs: notes on main'],
      ['foundation', 'added the loader'],
      ['foundation', 'feat(fundamentals): a BPE tokenizer'],
      [null, 'chore: the crew plan'],
    ]);
  });
});

describe('progress by acceptance checks', () => {
  it("tallies each check's latest result per agent, milestone and point, and each agent's passing over time", async () => {
    const p = (project = await crewProject());
    const check = (key: string, status: string, scope = 'merge', agent = 'foundation') =>
      p.tracker.addEvent({
        agent,
        kind: 'check',
        message: `${key} ${status}`,
        data: {
          scope,
          key,
          milestone: 'm5',
          status,
          sha: 'abc',
          turnedRed: key.includes('pipeline') && status === 'failed',
        },
      });
    await check('integration/tokenizer-interface', 'passed', 'branch');
    await check('integration/data-pipeline', 'passed', 'branch');
    await check('integration/data-pipeline', 'passed', 'branch'); // no change: no point
    await check('integration/data-pipeline', 'failed'); // red on the merged result
    await check('integration/model-forward', 'passed', 'merge', 'architecture');
    await check('integration/not-in-the-plan', 'passed'); // a point since removed: ignored
    const s = await snapshot(p);
    expect(s.agents.map((a) => [a.agent, a.checks])).toEqual([
      ['foundation', { passing: 1, total: 2 }],
      ['architecture', { passing: 1, total: 1 }],
      ['training', { passing: 0, total: 1 }],
      ['application', { passing: 0, total: 0 }],
    ]);
    expect(s.milestones.find((m) => m.id === 'm5')!.checks).toEqual({ passing: 2, total: 4 });
    expect(s.milestones.find((m) => m.id === 'm1')!.checks).toEqual({ passing: 0, total: 0 });
    expect(s.integration.map((x) => [x.id, x.check])).toEqual([
      ['tokenizer-interface', 'passed'],
      ['data-pipeline', 'failed'],
      ['model-forward', 'passed'],
      ['training-infrastructure', null],
    ]);
    expect(s.checksOverTime.map((c) => `${c.agent} ${c.total}`)).toEqual([
      'foundation 1',
      'foundation 2',
      'foundation 1',
      'architecture 1',
    ]);
    // Of the checks, only the one that turned red is listed among the events.
    expect(s.events.filter((e) => e.kind === 'check').map((e) => e.message)).toEqual([
      'integration/data-pipeline failed',
    ]);
    const { dashboardFragment } = await import('../../../src/crew/dashboard/html.js');
    const html = dashboardFragment(s);
    expect(html).toMatch(/<tr data-agent="foundation">[\s\S]*?<td data-field="checks">1\/2<\/td>/);
    expect(html).toMatch(
      /<tr data-integration="data-pipeline"[\s\S]*?<td data-field="check"\s+class="bad">failed<\/td>/,
    );
  });
});
