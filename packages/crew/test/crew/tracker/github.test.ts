// The GitHub backend against an in-process server with GitHub's REST shapes: the seed syncs once,
// pagination is followed, a secondary rate limit (403 + retry-after) and a 502 are retried, a 422
// already_exists is adopted, nothing is created twice, and the token appears in no output.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { desiredState, loadPlan } from '../../../src/crew/plan/index.js';
import { GitHubTracker, resolveRepo, resolveToken, syncTracker } from '../../../src/crew/tracker/index.js';
import { UserError } from 'llm-scratch-core/errors';
import { seedDir } from '../plan/fixtures.js';
import { startFakeGitHub, type FakeGitHub } from './fake-github.js';

let gh: FakeGitHub;
let logs: string[];

function tracker(): GitHubTracker {
  return new GitHubTracker({
    token: gh.token,
    repo: 'acme/llm-scratch',
    baseUrl: gh.url,
    writeIntervalMs: 0,
    retryScaleMs: 20,
    log: (m) => logs.push(m),
  });
}

beforeEach(async () => {
  gh = await startFakeGitHub();
  logs = [];
});
afterEach(async () => {
  await gh.close();
});

const seed = () => desiredState(loadPlan(join(seedDir(), 'crew.yaml')));

describe('github tracker', () => {
  it('syncs the seed plan once: 12 labels, 5 milestones, 12 issues; a second sync writes nothing', async () => {
    const desired = seed();
    const first = await syncTracker(tracker(), desired);
    expect(first.counts.label.create).toBe(12);
    expect(first.counts.milestone.create).toBe(5);
    expect(first.counts.issue.create).toBe(12);
    expect(gh.labels.map((l) => l.name).sort()).toEqual(
      [
        'agent-1-foundation',
        'agent-2-architecture',
        'agent-3-training',
        'agent-4-application',
        'blocked',
        'integration-needed',
        'milestone-1',
        'milestone-2',
        'milestone-3',
        'milestone-4',
        'milestone-5',
        'ready-for-review',
      ].sort(),
    );
    expect(gh.milestones.map((m) => m.title)).toEqual([
      'M1: Foundation',
      'M2: Architecture',
      'M3: Training',
      'M4: Application',
      'M5: Integration',
    ]);
    expect(gh.milestones[0]!.due_on).toBe('2026-12-04T00:00:00Z');
    expect(gh.issues).toHaveLength(12);
    // Dependencies are written with real numbers once all issues exist.
    const attention = gh.issues.find((i) => i.title === 'Attention mechanisms')!;
    const tokenizerPoint = gh.issues.find((i) => i.title.startsWith('Integration: tokenizer-interface'))!;
    expect(attention.body).toContain(`Depends on #${tokenizerPoint.number}`);
    expect(tokenizerPoint.body).toContain(`Blocks #${attention.number}`);
    expect(attention.body).toContain('<!-- llm-crew:key=task/m2/attention -->');

    const writes = gh.requests.filter((r) => !r.startsWith('GET')).length;
    const second = await syncTracker(tracker(), desired);
    expect(second.actions).toEqual([]);
    expect(gh.requests.filter((r) => !r.startsWith('GET')).length).toBe(writes);
    expect(second.counts.issue.unchanged).toBe(12);
    // Lists were paged (5 per page here) through Link headers.
    expect(
      gh.requests.some((r) => r.startsWith('GET /repos/acme/llm-scratch/issues') && r.includes('page=3')),
    ).toBe(true);
  });

  it('waits out a secondary rate limit (403 + retry-after) and retries a 502, creating nothing twice', async () => {
    gh.faults.push(
      {
        method: 'POST',
        path: /\/issues$/,
        status: 403,
        headers: { 'retry-after': '1' },
        body: {
          message:
            'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
        },
      },
      { method: 'POST', path: /\/milestones$/, status: 502, body: { message: 'Server Error' }, times: 2 },
      { method: 'GET', path: /\/labels$/, status: 500, body: { message: 'Server Error' } },
    );
    const result = await syncTracker(tracker(), seed());
    expect(result.counts.issue.create).toBe(12);
    expect(gh.faults.every((f) => f.times === 0)).toBe(true);
    expect(gh.issues).toHaveLength(12);
    expect(gh.milestones).toHaveLength(5);
    expect(new Set(gh.issues.map((i) => i.title)).size).toBe(12);
    expect(logs.some((l) => l.includes('secondary rate limit'))).toBe(true);
  });

  it('adopts labels and milestones that appear between its list and its create (422 already_exists)', async () => {
    gh.labels.push({ id: 1, name: 'blocked', color: '000000', description: 'made by hand' });
    gh.milestones.push({
      number: 1,
      title: 'M1: Foundation',
      description: 'by hand',
      due_on: null,
      state: 'open',
    });
    gh.hideLabelsOnce = true;
    const result = await syncTracker(tracker(), seed());
    expect(gh.requests.filter((r) => r === 'POST /repos/acme/llm-scratch/labels')).toHaveLength(12);
    expect(gh.labels.filter((l) => l.name === 'blocked')).toHaveLength(1);
    expect(gh.labels.find((l) => l.name === 'blocked')!.color).toBe('d73a4a');
    expect(gh.milestones).toHaveLength(5);
    // The hand-made milestone was adopted by title and now carries its key.
    expect(gh.milestones[0]!.description).toContain('llm-crew:key=milestone/m1');
    expect(result.counts.issue.create).toBe(12);
    const again = await syncTracker(tracker(), seed());
    expect(again.actions).toEqual([]);
  });

  it('lists, shows, comments, labels and closes like the local tracker', async () => {
    const t = tracker();
    await syncTracker(t, seed());
    const training = await t.listIssues({ label: ['agent-3-training'] });
    expect(training.map((i) => i.title)).toContain('Pretraining loop and evaluation');
    const byMilestone = await t.listIssues({ milestone: 'M5: Integration' });
    expect(byMilestone).toHaveLength(4);
    for (let i = 0; i < 7; i++) await t.addComment(3, `note ${i}`);
    expect((await t.listComments(3)).map((c) => c.body)).toEqual(
      [0, 1, 2, 3, 4, 5, 6].map((i) => `note ${i}`),
    );
    let issue = await t.editLabels(3, ['blocked'], []);
    expect(issue.labels).toContain('blocked');
    issue = await t.editLabels(3, ['ready-for-review'], ['blocked', 'not-there']);
    expect(issue.labels).toEqual(['agent-2-architecture', 'milestone-2', 'ready-for-review']);
    issue = await t.updateIssue(3, { state: 'closed' });
    expect(issue.state).toBe('closed');
    expect((await t.listIssues()).some((i) => i.number === 3)).toBe(false);
    expect(issue.key).toBe('task/m2/attention');
    // An agent's label and the closed state survive a re-sync.
    await syncTracker(t, seed());
    expect((await t.getIssue(3)).labels).toContain('ready-for-review');
    expect((await t.getIssue(3)).state).toBe('closed');
  });

  it('never prints the token: errors carry status and message only', async () => {
    const bad = new GitHubTracker({
      token: 'ghp_WRONG_SECRET_999',
      repo: 'acme/llm-scratch',
      baseUrl: gh.url,
      retryScaleMs: 1,
      log: (m) => logs.push(m),
    });
    const err = await bad.listLabels().catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/^GitHub list labels: 401 Bad credentials/);
    expect(JSON.stringify(err) + String((err as Error).stack) + logs.join('\n')).not.toContain(
      'ghp_WRONG_SECRET_999',
    );
    expect(logs.join('\n')).not.toContain(gh.token);
  });

  it('says which of token and repository is missing, and how to set it', () => {
    const empty = mkdtempSync(join(tmpdir(), 'crew-gh-'));
    const noGh = { PATH: empty };
    expect(() => resolveToken(noGh, empty)).toThrow(
      /no GitHub token: set GH_TOKEN \(or GITHUB_TOKEN\).*gh auth login/,
    );
    expect(resolveToken({ ...noGh, GITHUB_TOKEN: 'x1' }, empty)).toBe('x1');
    expect(resolveToken({ ...noGh, GH_TOKEN: 'x2', GITHUB_TOKEN: 'x1' }, empty)).toBe('x2');
    // A gh on PATH is asked through an argument list.
    writeFileSync(join(empty, 'gh'), '#!/bin/sh\n[ "$1 $2" = "auth token" ] && echo from-gh\n', {
      mode: 0o755,
    });
    expect(resolveToken(noGh, empty)).toBe('from-gh');
    expect(() => resolveRepo(null, empty)).toThrow(
      /no GitHub repository: set project.repo: OWNER\/NAME in crew.yaml, or add a GitHub remote/,
    );
    expect(resolveRepo('a/b', empty)).toBe('a/b');
  });
});
