// The report's measures on a hand-made history with known times: issues closed and commits per
// agent over time, time blocked as a union of spans, integration overhead ready -> integrated,
// restarts and conflicts from the runtime's events.
import { describe, expect, it } from 'vitest';
import type { CrewEvent } from '../../../src/crew/agents/types.js';
import type { CommitInfo } from '../../../src/crew/dashboard/commits.js';
import { parsePlan } from '../../../src/crew/plan/index.js';
import { computeReport, dependsOn, issueAgent } from '../../../src/crew/report/measures.js';
import type { Issue } from '../../../src/crew/tracker/index.js';
import { SEED_YAML } from '../plan/fixtures.js';

const plan = parsePlan(SEED_YAML, 'crew.yaml');
const T = (hhmm: string) => `2026-12-01T${hhmm}:00.000Z`;

function issue(number: number, key: string, o: Partial<Issue> = {}): Issue {
  return {
    number,
    key,
    title: key,
    body: '',
    labels: [],
    milestone: null,
    state: 'open',
    createdAt: T('00:00'),
    updatedAt: T('00:00'),
    ...o,
  };
}

let eventId = 0;
const event = (
  at: string,
  kind: CrewEvent['kind'],
  agent: string | null,
  message: string = kind,
): CrewEvent => ({
  id: ++eventId,
  at: T(at),
  agent,
  kind,
  message,
  data: null,
});

const check = (at: string, agent: string, key: string, status: string, scope = 'merge'): CrewEvent => ({
  ...event(at, 'check', agent, `${key} ${status}`),
  data: { scope, key, milestone: 'm5', status, sha: 'abc' },
});

const commitAt = (at: string, agent: string | null, conventional = true): CommitInfo => ({
  sha: `${agent}-${at}`,
  subject: 's',
  author: 'a',
  at: T(at),
  agent,
  conventional,
});

const issues: Issue[] = [
  issue(1, 'task/m1/tokenizer', { state: 'closed', updatedAt: T('02:00') }),
  issue(2, 'task/m1/data-pipeline', { state: 'closed', updatedAt: T('05:00') }),
  issue(3, 'task/m2/attention', { labels: ['blocked'], updatedAt: T('08:00') }),
  issue(4, 'task/m2/gpt-model'),
  // Producer: #1 (closed 02:00); integrated (closed) at 03:30: 1.5 h.
  issue(9, 'integration/tokenizer-interface', {
    body: 'text\n\n## Dependencies\n\nDepends on #1\nBlocks #3, #4\n',
    state: 'closed',
    updatedAt: T('03:30'),
  }),
  // Producer: #2 (closed 05:00); still open at 10:00: 5 h so far.
  issue(10, 'integration/data-pipeline', { body: 'Depends on #2\n' }),
  // Producer #4 is open: not ready.
  issue(11, 'integration/model-forward', { body: 'Depends on #4\n' }),
];

const events: CrewEvent[] = [
  event('01:00', 'up', null),
  event('06:00', 'restart', 'architecture'),
  event('06:30', 'gave-up', 'architecture'),
  event('07:00', 'conflict', 'training', 'crew/training conflicts with crew/architecture in src/gpt.ts'),
  event('09:00', 'start', 'architecture'),
  event('09:30', 'gave-up', 'training'),
  check('03:00', 'foundation', 'integration/tokenizer-interface', 'passed', 'branch'),
  check('04:00', 'foundation', 'integration/data-pipeline', 'failed'),
  check('05:00', 'foundation', 'integration/data-pipeline', 'passed'),
  check('05:30', 'architecture', 'integration/model-forward', 'failed'),
];

const commits = [
  commitAt('01:10', 'foundation'),
  commitAt('01:50', 'foundation', false),
  commitAt('04:00', 'architecture'),
  commitAt('04:30', null),
];

const zero = {
  issuesClosed: 0,
  issuesOpen: 0,
  commits: 0,
  offConvention: 0,
  blockedHours: 0,
  restarts: 0,
  conflicts: 0,
  checksPassing: 0,
  checks: 0,
};

describe('report measures', () => {
  const r = computeReport({ plan, issues, events, commits, now: new Date(T('10:00')) });

  it('attributes issues by their plan keys and reads dependency lines', () => {
    expect(issueAgent(plan, issues[0]!)).toBe('foundation');
    expect(issueAgent(plan, issues[4]!)).toBe('foundation');
    expect(issueAgent(plan, issue(20, 'integration/model-forward'))).toBe('architecture');
    expect(issueAgent(plan, issue(21, 'something/else'))).toBeNull();
    expect(dependsOn(issues[4]!)).toEqual([1]);
    expect(dependsOn(issues[0]!)).toEqual([]);
  });

  it('counts per agent: closed, open, commits, convention breakers, blocked hours, restarts, conflicts', () => {
    expect(r.agents).toEqual([
      {
        ...zero,
        agent: 'foundation',
        issuesClosed: 3,
        issuesOpen: 1,
        commits: 2,
        offConvention: 1,
        checksPassing: 2,
        checks: 2,
      },
      // Gave up 06:30 until its start at 09:00, and #3 blocked from 08:00 until now: the union is
      // 06:30 to 10:00, 3.5 h (the overlap counts once).
      {
        ...zero,
        agent: 'architecture',
        issuesOpen: 3,
        commits: 1,
        blockedHours: 3.5,
        restarts: 1,
        checks: 1,
      },
      // Gave up at 09:30 and nothing started it again: 0.5 h until now.
      { ...zero, agent: 'training', blockedHours: 0.5, conflicts: 1, checks: 1 },
      { ...zero, agent: 'application' },
    ]);
    expect(r.restarts).toBe(1);
    expect(r.conflicts.map((e) => e.message)).toEqual([
      'crew/training conflicts with crew/architecture in src/gpt.ts',
    ]);
  });

  it('gives running totals over time per agent', () => {
    expect(r.closedOverTime).toEqual([
      { agent: 'foundation', at: T('02:00'), total: 1 },
      { agent: 'foundation', at: T('03:30'), total: 2 },
      { agent: 'foundation', at: T('05:00'), total: 3 },
    ]);
    expect(r.commitsOverTime).toEqual([
      { agent: 'foundation', at: T('01:10'), total: 1 },
      { agent: 'foundation', at: T('01:50'), total: 2 },
      { agent: 'architecture', at: T('04:00'), total: 1 },
    ]);
    // Checks passing, not a running count: a red result takes one away, a repeat adds nothing.
    expect(r.checksOverTime).toEqual([
      { agent: 'foundation', at: T('03:00'), total: 1 },
      { agent: 'foundation', at: T('05:00'), total: 2 },
      { agent: 'architecture', at: T('05:30'), total: 0 },
    ]);
    expect(r.milestones.find((m) => m.id === 'm5')).toMatchObject({ checksPassing: 2, checks: 4 });
  });

  it('measures integration overhead from ready to integrated, and so far while waiting', () => {
    const point = { readyAt: null, integratedAt: null, overheadHours: null, pending: false, check: null };
    expect(r.integration).toEqual([
      {
        ...point,
        id: 'tokenizer-interface',
        from: 'foundation',
        to: 'architecture',
        issue: 9,
        readyAt: T('02:00'),
        integratedAt: T('03:30'),
        overheadHours: 1.5,
        check: 'passed',
      },
      {
        ...point,
        id: 'data-pipeline',
        from: 'foundation',
        to: 'training',
        issue: 10,
        readyAt: T('05:00'),
        overheadHours: 5,
        pending: true,
        check: 'passed',
      },
      { ...point, id: 'model-forward', from: 'architecture', to: 'training', issue: 11, check: 'failed' },
      { ...point, id: 'training-infrastructure', from: 'training', to: 'application', issue: null },
    ]);
    expect(r.from).toBe('2026-12-01T00:00:00.000Z');
  });
});
