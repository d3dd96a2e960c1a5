// `llm-crew report` and `llm-crew dashboard --json` through the CLI on a real project: the report
// writes Markdown, JSON and PNG charts from the tracker and git; the dashboard's JSON carries the
// real status source's view (no tmux session: every agent missing); bad input fails clearly.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../../src/crew/dashboard/snapshot.js';
import type { Report } from '../../../src/crew/report/measures.js';
import { closeByKey, crew, crewProject, type Project } from '../dashboard/fixtures.js';

let project: Project | null = null;
afterEach(async () => {
  await project?.tracker.close();
  project = null;
});

const PNG = [0x89, 0x50, 0x4e, 0x47];

describe('llm-crew report', () => {
  it('writes report.md, report.json and charts of what the crew did', async () => {
    const p = (project = await crewProject());
    await closeByKey(p, 'task/m1/tokenizer');
    await closeByKey(p, 'integration/tokenizer-interface');
    await p.tracker.addEvent({ agent: 'foundation', kind: 'restart', message: 'restarted', data: null });
    await p.tracker.addEvent({
      agent: 'foundation',
      kind: 'check',
      message: 'integration/tokenizer-interface passed',
      data: {
        scope: 'merge',
        key: 'integration/tokenizer-interface',
        milestone: 'm5',
        status: 'passed',
        sha: 'abc',
      },
    });
    const out = join(p.dir, 'run-1');
    const r = await crew(p.dir, 'report', '--out', 'run-1', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report & { files: string[] };
    expect(report.files.map((f) => f.slice(out.length + 1)).sort()).toEqual([
      'checks-passing.png',
      'integration-overhead.png',
      'issues-closed.png',
      'report.json',
      'report.md',
    ]);
    // Day 0 is the plan's 2026-12-01, after the fixture's commits (dated 2026-11-20): none
    // counted, so no commits chart.
    expect(report.from).toBe('2026-12-01T00:00:00.000Z');
    expect(report.agents[0]).toMatchObject({ agent: 'foundation', issuesClosed: 2, restarts: 1 });
    const point = report.integration[0]!;
    expect(point.id).toBe('tokenizer-interface');
    expect(point.pending).toBe(false);
    expect(point.overheadHours).toBeGreaterThanOrEqual(0);
    for (const png of ['issues-closed.png', 'checks-passing.png', 'integration-overhead.png'])
      expect([...readFileSync(join(out, png)).subarray(0, 4)]).toEqual(PNG);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toContain('# Crew report: llm-scratch');
    expect(md).toMatch(/\| foundation \| 2 \| 2 \| 0 \| 0 \| 0 s \| 1 \| 0 \| 1\/2 \|/);
    expect(md).toContain('| M5: Integration | 1/4 | 1/4 |');
    expect(md).toContain('![Acceptance checks passing per agent over time](checks-passing.png)');
    expect(md).toMatch(/\| tokenizer-interface \| foundation -> architecture \| #\d+ \| passed \|/);
    expect(md).toContain('![Issues closed per agent over time](issues-closed.png)');
    expect(md).toContain('_no commit on an agent branch yet_');
    expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'))).toMatchObject({
      project: 'llm-scratch',
    });
  });

  it('counts commits per agent once day 0 is before them', async () => {
    const p = (project = await crewProject());
    const plan = join(p.dir, 'crew.yaml');
    const yaml = readFileSync(plan, 'utf8').replace('start: 2026-12-01', 'start: 2020-01-01');
    writeFileSync(plan, yaml);
    const r = await crew(p.dir, 'report', '--out', 'out', '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.agents[0]).toMatchObject({ agent: 'foundation', commits: 2, offConvention: 1 });
    expect(report.commitsOverTime.map((c) => [c.agent, c.total])).toEqual([
      ['foundation', 1],
      ['foundation', 2],
    ]);
    expect(existsSync(join(p.dir, 'out', 'commits.png'))).toBe(true);
  });
});

describe('llm-crew dashboard --json', () => {
  it('prints the snapshot with the real status source', async () => {
    const p = (project = await crewProject());
    const ok = await crew(p.dir, 'dashboard', '--json');
    expect(ok.stderr).toBe('');
    const s = JSON.parse(ok.stdout) as Snapshot;
    expect(s.agents.map((a) => [a.agent, a.state])).toEqual([
      ['foundation', 'missing'],
      ['architecture', 'missing'],
      ['training', 'missing'],
      ['application', 'missing'],
    ]);
    expect(s.commits[0]).toMatchObject({
      agent: 'foundation',
      subject: 'added the loader',
      conventional: false,
    });
  });

  it('rejects bad usage and a missing plan', async () => {
    const p = (project = await crewProject());
    expect((await crew(p.dir, 'dashboard', '--interval', '0')).stderr).toContain(
      '--interval must be above 0, got 0',
    );
    expect((await crew(p.dir, 'dashboard', '--port', '70000')).code).toBe(2);
    const missing = await crew(p.dir, 'dashboard', '--plan', 'nope.yaml');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("nope.yaml: no plan here; make one with 'llm-crew init");
    expect((await crew(p.dir, 'report', '--plan', 'nope.yaml')).code).toBe(1);
  });
});
