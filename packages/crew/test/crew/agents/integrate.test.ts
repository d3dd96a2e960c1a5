// llm-crew test and merge in-process on real git: branches merged in dependency order, a conflict
// reported with its files and its point marked, the integration issue commented and labelled, the
// base moved only when everything passes; merge AGENT refuses unready issues and failing tests.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { integrate, mergeAgent, mergeOrder } from '../../../src/crew/agents/integrate.js';
import { loadPlan } from '../../../src/crew/plan/index.js';
import { LocalTracker } from '../../../src/crew/tracker/index.js';
import { UserError } from 'llm-scratch-core/errors';
import { makeProject } from './project.js';

function commitOn(dir: string, branch: string, files: Record<string, string>, from = 'main'): void {
  const git = (...a: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...a], {
      cwd: dir,
      stdio: 'pipe',
    });
  git('checkout', '-q', '-B', branch, from);
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  git('add', ...Object.keys(files));
  git('commit', '-q', '-m', `feat(${branch.replace('crew/', '')}): ${Object.keys(files).join(', ')}`);
  git('checkout', '-q', 'main');
}

describe('llm-crew test and merge', () => {
  it('reports a conflict and its point, then merges and moves main once everything passes', async () => {
    const p = await makeProject();
    const ctx = loadPlan(join(p.dir, 'crew.yaml'), { check: false });
    expect(mergeOrder(ctx)).toEqual(['alpha', 'beta']);
    commitOn(p.dir, 'crew/alpha', { 'alpha.txt': 'a\n', 'shared.txt': 'alpha\n' });
    commitOn(p.dir, 'crew/beta', { 'beta.txt': 'b\n', 'shared.txt': 'beta\n' });
    const tracker = new LocalTracker(join(p.dir, '.crew', 'tracker.db'));
    try {
      const before = execFileSync('git', ['rev-parse', 'main'], { cwd: p.dir, encoding: 'utf8' });
      const bad = await integrate({ ctx, tracker, merge: true });
      expect(bad).toMatchObject({
        merged: ['alpha'],
        conflicts: [{ agent: 'beta', files: ['shared.txt'] }],
        passed: 0,
        failed: 1,
        mergedIntoBase: false,
      });
      expect(bad.points[0]).toMatchObject({ id: 'both-files', status: 'conflict' });
      expect(execFileSync('git', ['rev-parse', 'main'], { cwd: p.dir, encoding: 'utf8' })).toBe(before);
      const issue = bad.points[0]!.issue!;
      expect((await tracker.getIssue(issue)).labels).toContain('blocked');
      expect((await tracker.listEvents({ kind: 'conflict' }))[0]).toMatchObject({ agent: 'beta' });

      await expect(mergeAgent({ ctx, tracker, agent: 'alpha' })).rejects.toThrow(
        /alpha: 1 open issues are not ready for review \(#1\)/,
      );
      await tracker.editLabels(1, ['ready-for-review'], []);
      // alpha alone does not pass the point (beta's file is missing): nothing merged.
      await expect(mergeAgent({ ctx, tracker, agent: 'alpha' })).rejects.toThrow(UserError);

      commitOn(p.dir, 'crew/beta', { 'beta.txt': 'b\n' }, 'main');
      const good = await integrate({ ctx, tracker, merge: true });
      expect(good).toMatchObject({
        merged: ['alpha', 'beta'],
        conflicts: [],
        passed: 1,
        failed: 0,
        mergedIntoBase: true,
      });
      const log = execFileSync('git', ['log', '--format=%s', 'main'], { cwd: p.dir, encoding: 'utf8' });
      expect(log).toContain('merge crew/beta (llm-crew test)');
      expect((await tracker.getIssue(issue)).labels).not.toContain('blocked');
      const tests = await tracker.listEvents({ kind: 'test' });
      // The conflict, the refused merge of alpha alone, the green run.
      expect(tests.map((e) => e.data!.passed)).toEqual([0, 0, 1]);
      expect(await tracker.listEvents({ kind: 'merge' })).toHaveLength(1);
    } finally {
      await tracker.close();
    }
  }, 180_000);
});
