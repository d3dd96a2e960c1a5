// The local tracker and the commands over it, end to end through the CLI: the seed syncs exactly
// 12 labels, 5 milestones and 12 issues; a second sync creates nothing; --dry-run changes nothing;
// an edited plan updates only what changed; list/show/comment/label/close work and are idempotent.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { llmCrew } from '../../../src/cli/llm-crew.js';
import { runProgram } from 'llm-scratch-core/cli/program';
import { LocalTracker, MIGRATIONS } from '../../../src/crew/tracker/index.js';
import { SEED_YAML, seedDir } from '../plan/fixtures.js';

async function crew(dir: string, ...args: string[]) {
  let stdout = '';
  let stderr = '';
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const code = await runProgram(llmCrew, args, {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
    });
    return { code, stdout, stderr };
  } finally {
    process.chdir(cwd);
  }
}

const json = <T>(r: { stdout: string }) => JSON.parse(r.stdout) as T;

interface Sync {
  dryRun: boolean;
  actions: { action: string; kind: string; key: string; fields?: string[] }[];
  counts: Record<string, { create: number; update: number; unchanged: number }>;
}

describe('issues sync on the local tracker', () => {
  it('creates exactly the seed labels, milestones and issues, once', async () => {
    const dir = seedDir();
    const dry = await crew(dir, 'issues', 'sync', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('would create issue Attention mechanisms');
    expect(dry.stdout).toContain('12 labels to create, 0 to update, 0 unchanged; 5 milestones to create');
    const db = join(dir, '.crew', 'tracker.db');
    const t0 = new LocalTracker(db);
    expect(await t0.listIssues({ state: 'all' })).toEqual([]);
    expect(await t0.listLabels()).toEqual([]);
    await t0.close();

    const first = json<Sync>(await crew(dir, 'issues', 'sync', '--json'));
    expect(first.counts).toEqual({
      label: { create: 12, update: 0, unchanged: 0 },
      milestone: { create: 5, update: 0, unchanged: 0 },
      issue: { create: 12, update: 0, unchanged: 0 },
    });
    const t = new LocalTracker(db);
    const issues = await t.listIssues({ state: 'all' });
    expect(issues.map((i) => i.key)).toEqual([
      'task/m1/tokenizer',
      'task/m1/data-pipeline',
      'task/m2/attention',
      'task/m2/gpt-model',
      'task/m3/pretraining',
      'task/m3/weights',
      'task/m4/classification',
      'task/m4/instruction',
      'integration/tokenizer-interface',
      'integration/data-pipeline',
      'integration/model-forward',
      'integration/training-infrastructure',
    ]);
    expect(issues[2]!.body).toContain('Depends on #9');
    expect(issues[8]!.body).toContain('Depends on #1\nBlocks #3, #4');
    expect((await t.listMilestones()).map((m) => [m.title, m.dueOn])).toEqual([
      ['M1: Foundation', '2026-12-04T00:00:00Z'],
      ['M2: Architecture', '2026-12-08T00:00:00Z'],
      ['M3: Training', '2026-12-11T00:00:00Z'],
      ['M4: Application', '2026-12-15T00:00:00Z'],
      ['M5: Integration', '2026-12-17T00:00:00Z'],
    ]);
    await t.close();

    const second = json<Sync>(await crew(dir, 'issues', 'sync', '--json'));
    expect(second.actions).toEqual([]);
    expect(second.counts.issue).toEqual({ create: 0, update: 0, unchanged: 12 });
  });

  it('updates only what an edited plan changed, and keeps what agents did', async () => {
    const dir = seedDir();
    await crew(dir, 'issues', 'sync');
    await crew(dir, 'issues', 'label', '3', '--add', 'blocked');
    await crew(dir, 'issues', 'close', '4');
    const edited = SEED_YAML.replace(
      'title: Attention mechanisms',
      'title: "Attention: causal and multi-head"',
    ).replace(
      '      - { id: gpt-model',
      '      - { id: layer-norm, title: Layer normalization, sections: ["4.2"], module: gpt }\n      - { id: gpt-model',
    );
    writeFileSync(join(dir, 'crew.yaml'), edited);
    const r = json<Sync>(await crew(dir, 'issues', 'sync', '--json'));
    expect(
      r.actions.map((a) => `${a.action} ${a.kind} ${a.key}${a.fields ? ` ${a.fields.join(',')}` : ''}`),
    ).toEqual([
      'update milestone milestone/m2 description',
      'create issue task/m2/layer-norm',
      'update issue task/m2/attention title,body',
      // The new task waits for the tokenizer interface, whose "Blocks" line gains it, and as work
      // on the gpt module it comes before the model-forward interface, whose "Depends on" gains it.
      'update issue integration/tokenizer-interface body',
      'update issue integration/model-forward body',
    ]);
    const t = new LocalTracker(join(dir, '.crew', 'tracker.db'));
    const attention = await t.getIssue(3);
    expect(attention.labels).toContain('blocked');
    expect((await t.getIssue(4)).state).toBe('closed');
    await t.close();
    expect(json<Sync>(await crew(dir, 'issues', 'sync', '--json')).actions).toEqual([]);
  });
});

describe('issues commands', () => {
  it('list, show, comment, label and close', async () => {
    const dir = seedDir();
    await crew(dir, 'issues', 'sync');
    const list = await crew(dir, 'issues', 'list', '--agent', 'training');
    expect(list.stdout.split('\n')[0]).toBe(
      '#5    Pretraining loop and evaluation  [agent-3-training, milestone-3]',
    );
    const byMilestone = json<{ issues: unknown[] }>(
      await crew(dir, 'issues', 'list', '--milestone', 'm5', '--json'),
    );
    expect(byMilestone.issues).toHaveLength(4);
    const labelled = json<{ issues: { number: number }[] }>(
      await crew(
        dir,
        'issues',
        'list',
        '--label',
        'integration-needed',
        '--label',
        'agent-3-training',
        '--json',
      ),
    );
    expect(labelled.issues.map((i) => i.number)).toEqual([10, 11, 12]);

    expect(
      (await crew(dir, 'issues', 'comment', '5', '--body', 'loss goes down', '--author', 'training')).code,
    ).toBe(0);
    const shown = await crew(dir, 'issues', 'show', '#5');
    expect(shown.stdout).toContain('key: task/m3/pretraining');
    expect(shown.stdout).toContain('- 5.1 Evaluating generative text models');
    expect(shown.stdout).toMatch(/--- training, .*\nloss goes down/);

    const l1 = json<{ issue: { labels: string[] } }>(
      await crew(dir, 'issues', 'label', '5', '--add', 'ready-for-review', '--json'),
    );
    const l2 = json<{ issue: { labels: string[]; updatedAt: string } }>(
      await crew(dir, 'issues', 'label', '5', '--add', 'ready-for-review', '--json'),
    );
    expect(l1.issue.labels).toEqual(['agent-3-training', 'milestone-3', 'ready-for-review']);
    expect(l2.issue).toEqual(l1.issue);

    const c1 = json<{ issue: { state: string; updatedAt: string } }>(
      await crew(dir, 'issues', 'close', '5', '--comment', 'done', '--json'),
    );
    const c2 = json<{ issue: { state: string; updatedAt: string } }>(
      await crew(dir, 'issues', 'close', '5', '--comment', 'done', '--json'),
    );
    expect(c1.issue.state).toBe('closed');
    expect(c2.issue).toEqual(c1.issue);
    const comments = json<{ comments: { body: string }[] }>(
      await crew(dir, 'issues', 'show', '5', '--json'),
    ).comments;
    expect(comments.map((c) => c.body)).toEqual(['loss goes down', 'done']);
    // A keyed comment is made once however often the command runs.
    for (let i = 0; i < 2; i++)
      expect(
        (await crew(dir, 'issues', 'comment', '6', '--body', 'weights loaded', '--key', 'weights-ok')).code,
      ).toBe(0);
    const keyed = json<{ comments: { body: string; key: string | null }[] }>(
      await crew(dir, 'issues', 'show', '6', '--json'),
    );
    expect(keyed.comments.map((c) => [c.key, c.body])).toEqual([['weights-ok', 'weights loaded']]);
    expect((await crew(dir, 'issues', 'list', '--agent', 'training')).stdout).not.toContain('#5 ');

    const missing = await crew(dir, 'issues', 'show', '99');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^llm-crew issues show: no issue #99 in .*tracker\.db\n$/);
    expect((await crew(dir, 'issues', 'show', 'x')).code).toBe(2);
    expect((await crew(dir, 'issues', 'list', '--agent', 'nobody')).stderr).toContain(
      "no agent 'nobody' in crew.yaml",
    );
  });

  it('github without a token or repository says which and how to set it', async () => {
    const dir = seedDir(SEED_YAML.replace('  repo: acme/llm-scratch\n', ''));
    const r = await crew(dir, 'issues', 'list', '--tracker', 'github');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no GitHub repository: set project.repo: OWNER/NAME in crew.yaml');
  });
});

describe('init and plan commands', () => {
  it('init proposes a plan once; plan --check and plan are idempotent', async () => {
    const dir = seedDir(null);
    // init writes the acceptance checks with the project's test command, told from its stack.
    writeFileSync(join(dir, 'package.json'), '{"devDependencies":{"vitest":"^3"}}\n');
    const init = await crew(dir, 'init', '--book', 'structure.json', '--agents', '4');
    expect(init.code).toBe(0);
    expect(init.stdout).toContain('ch1-2: chapters 1, 2');
    const text = readFileSync(join(dir, 'crew.yaml'), 'utf8');
    expect((await crew(dir, 'init', '--book', 'structure.json', '--agents', '4')).stderr).toBe(
      'crew.yaml: unchanged\n',
    );
    const other = await crew(dir, 'init', '--book', 'structure.json', '--agents', '3');
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('crew.yaml exists and differs from the proposal');
    expect(readFileSync(join(dir, 'crew.yaml'), 'utf8')).toBe(text);

    expect((await crew(dir, 'plan', '--check')).stdout).toBe(
      'crew.yaml: ok (4 agents, 5 milestones, 3 integration points)\n',
    );
    const first = await crew(dir, 'plan');
    expect(first.stdout.split('\n').filter((l) => l.startsWith('wrote'))).toHaveLength(6);
    expect(existsSync(join(dir, 'briefs', 'ch5.md'))).toBe(true);
    const second = await crew(dir, 'plan');
    expect(second.stdout.split('\n').filter((l) => l.startsWith('unchanged'))).toHaveLength(6);
  });

  it('plan --check lists every problem with its line and exits 1', async () => {
    const dir = seedDir(
      SEED_YAML.replace('chapters: [5]', 'chapters: [4]').replace(
        '    role: Training\n',
        '    role: Training\n    sesion: x\n',
      ),
    );
    const r = await crew(dir, 'plan', '--check', '--json');
    expect(r.code).toBe(1);
    const out = json<{ ok: boolean; issues: { path: string; line: number }[] }>(r);
    expect(out.ok).toBe(false);
    const bad = readFileSync(join(dir, 'crew.yaml'), 'utf8').split('\n');
    expect(out.issues.map((i) => `${bad[i.line - 1]!.trim()} ${i.path}`)).toEqual([
      'sesion: x agents[2].sesion',
    ]);
    const text = SEED_YAML.replace('chapters: [5]', 'chapters: [4]');
    writeFileSync(join(dir, 'crew.yaml'), text);
    const line = (needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
    const r2 = await crew(dir, 'plan', '--check');
    expect(r2.stderr.trim().split('\n')).toEqual([
      `crew.yaml:${line('- id: foundation')}: agents: no agent owns chapter 5 (Pretraining on unlabeled data)`,
      `llm-crew plan: crew.yaml:${line('chapters: [4]')}: agents[2].chapters[0]: chapter 4 is already owned by agent 'architecture' (and 1 more; run 'llm-crew plan --check')`,
    ]);
  });
});

describe('database', () => {
  it('is migrated to the latest version in WAL mode, and refuses a newer one', async () => {
    const dir = seedDir();
    const file = join(dir, '.crew', 'tracker.db');
    await new LocalTracker(file).close();
    const db = new Database(file);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(() => new LocalTracker(file)).toThrow(
      `tracker schema version ${MIGRATIONS.length + 1} is newer than this llm-crew (${MIGRATIONS.length})`,
    );
  });

  it('moves a version 1 database forward, keeping its data', async () => {
    const dir = seedDir();
    const file = join(dir, 'v1.db');
    const v1 = new Database(file);
    v1.exec(MIGRATIONS[0]!);
    v1.pragma('user_version = 1');
    v1.prepare("INSERT INTO issues (key, title, created_at, updated_at) VALUES ('k', 'old', 't', 't')").run();
    v1.prepare("INSERT INTO comments (issue, author, body, created_at) VALUES (1, 'a', 'kept', 't')").run();
    v1.close();
    const t = new LocalTracker(file);
    expect((await t.listComments(1)).map((c) => [c.key, c.body])).toEqual([[null, 'kept']]);
    await t.addComment(1, 'once', 'a', 'k1');
    await t.addComment(1, 'twice', 'a', 'k1');
    expect((await t.listComments(1)).map((c) => c.body)).toEqual(['kept', 'once']);
    await t.close();
    const db = new Database(file);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    db.close();
  });
});
