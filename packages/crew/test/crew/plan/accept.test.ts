// Acceptance checks on real git and a real SQLite tracker: init writes them from the project's
// stack, `test --merge` closes a task whose check passes on the merged result (and only then), a
// branch's checks run after its commits have rested, and notify hooks (a command and a webhook on
// 127.0.0.1) hear a check turning red and an issue labelled blocked.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BranchChecks } from '../../../src/crew/agents/branch-checks.js';
import type { CheckEventData } from '../../../src/crew/agents/checks.js';
import { integrate } from '../../../src/crew/agents/integrate.js';
import type { RuntimeState } from '../../../src/crew/agents/layout.js';
import { detectStack, loadPlan, parsePlan, readPlanText, testFor } from '../../../src/crew/plan/index.js';
import { LocalTracker } from '../../../src/crew/tracker/index.js';
import { crew } from '../dashboard/fixtures.js';
import { llmBook } from './fixtures.js';

const git = (dir: string, ...a: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...a], {
    cwd: dir,
    encoding: 'utf8',
  });

function commitOn(dir: string, branch: string, files: Record<string, string>): string {
  const exists = git(dir, 'branch', '--list', branch).trim() !== '';
  git(dir, 'checkout', '-q', '-B', branch, exists ? branch : 'main');
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  git(dir, 'add', ...Object.keys(files));
  git(dir, 'commit', '-q', '-m', `feat(${branch.replace('crew/', '')}): ${Object.keys(files).join(', ')}`);
  const sha = git(dir, 'rev-parse', 'HEAD').trim();
  git(dir, 'checkout', '-q', 'main');
  return sha;
}

// A check that passes when the named file holds "done".
const HAS = `import { readFileSync } from 'node:fs';
const f = process.argv[2];
let text = '';
try { text = readFileSync(f, 'utf8'); } catch {}
if (text.trim() !== 'done') { console.error(f + ' is not done'); process.exit(1); }
`;

function planYaml(notify = ''): string {
  return `version: 1
project: { name: accept, test_command: "node has.mjs {module}.txt" }
book: { structure: structure.json }
agents:
  - { id: alpha, chapters: [1, 2, 3], modules: [alpha] }
  - { id: beta, chapters: [4, 5, 6, 7], modules: [beta] }
milestones:
  - id: m1
    title: "M1: Alpha"
    owner: alpha
    day: 1
    deliverables:
      - { id: a, title: Alpha's file, sections: ["1"], module: alpha, accept: node has.mjs alpha.txt }
      - { id: a2, title: Alpha's second file, sections: ["2"], module: alpha2, accept: node has.mjs alpha2.txt }
  - id: m2
    title: "M2: Beta"
    owner: beta
    day: 2
    depends: [m1]
    deliverables:
      - { id: b, title: Beta's file, sections: ["4"], module: beta, accept: node has.mjs beta.txt }
integration:
  - { id: alpha-beta, from: alpha, to: beta, module: alpha, interface: alpha.txt, day: 1, test: node has.mjs alpha.txt }
${notify}`;
}

async function project(notify = ''): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'crew-accept-'));
  writeFileSync(join(dir, 'structure.json'), JSON.stringify(llmBook()));
  writeFileSync(join(dir, 'crew.yaml'), planYaml(notify));
  writeFileSync(join(dir, 'has.mjs'), HAS);
  writeFileSync(join(dir, '.gitignore'), '.crew/\n');
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'chore: the project');
  const sync = await crew(dir, 'issues', 'sync');
  expect(sync.code, sync.stderr).toBe(0);
  return dir;
}

const byKey = async (t: LocalTracker, key: string) =>
  (await t.listIssues({ state: 'all' })).find((i) => i.key === key)!;

describe('the test command of a stack', () => {
  it('is told from the files in the project root, and filled in per module', () => {
    const dir = (files: Record<string, string>) => {
      const d = mkdtempSync(join(tmpdir(), 'crew-stack-'));
      for (const [f, text] of Object.entries(files)) writeFileSync(join(d, f), text);
      return d;
    };
    const cases: [Record<string, string>, string][] = [
      [
        { 'package.json': '{"devDependencies":{"vitest":"^3"}}', 'tsconfig.json': '{}' },
        'npx vitest run test/{module}.test.ts',
      ],
      [{ 'package.json': '{"scripts":{"test":"jest"}}' }, 'npx jest test/{module}.test.js'],
      [{ 'package.json': '{}' }, 'npm test -- test/{module}.test.js'],
      [{ 'pyproject.toml': '' }, 'pytest tests/test_{module_snake}.py'],
      [{ 'setup.py': '' }, 'pytest tests/test_{module_snake}.py'],
      [{ 'Cargo.toml': '' }, 'cargo test --test {module_snake}'],
      [{ 'go.mod': '' }, 'go test ./{module}/...'],
      [{ Makefile: 'test:\n' }, 'make test'],
    ];
    for (const [files, command] of cases) expect(detectStack(dir(files))?.testCommand).toBe(command);
    expect(detectStack(dir({ 'README.md': '' }))).toBeNull();
    expect(testFor('pytest tests/test_{module_snake}.py', 'integration/attention-mechanisms')).toBe(
      'pytest tests/test_integration_attention_mechanisms.py',
    );
    expect(testFor('go test ./{module}/...', 'text-data')).toBe('go test ./text-data/...');
  });

  it('init writes every task an acceptance check from the stack; without one, make test and a warning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crew-init-'));
    writeFileSync(join(dir, 'structure.json'), JSON.stringify(llmBook()));
    // No project file yet: make's convention, and a warning that says how to name the command.
    const guessed = await crew(dir, 'init', '--book', 'structure.json', '--agents', '3');
    expect(guessed.code, guessed.stderr).toBe(0);
    expect(guessed.stderr).toMatch(
      /^warning: .*cannot tell how this project runs its tests .* --test-command/,
    );
    expect(parsePlan(readPlanText(join(dir, 'crew.yaml'))).project.test_command).toBe('make test');
    writeFileSync(join(dir, 'pyproject.toml'), '[project]\nname = "x"\n');
    const init = await crew(dir, 'init', '--book', 'structure.json', '--agents', '3', '--force');
    expect(init.code, init.stderr).toBe(0);
    const plan = parsePlan(readPlanText(join(dir, 'crew.yaml')));
    expect(plan.project.test_command).toBe('pytest tests/test_{module_snake}.py');
    const tasks = plan.milestones.flatMap((m) => m.deliverables);
    expect(tasks.length).toBe(7);
    expect(tasks[0]).toMatchObject({
      module: 'large-language',
      accept: 'pytest tests/test_large_language.py',
    });
    expect(plan.integration[0]!.test).toMatch(/^pytest tests\/test_integration_[a-z_]+\.py$/);
    expect((await crew(dir, 'plan', '--check')).code).toBe(0);
    // The brief tells the agent each issue's check.
    expect((await crew(dir, 'plan')).code).toBe(0);
    const brief = readFileSync(join(dir, 'briefs', `${plan.agents[0]!.id}.md`), 'utf8');
    expect(brief).toContain(`(\`task/m1/${tasks[0]!.id}\`); check: \`pytest tests/test_large_language.py\``);
  });
});

describe('tasks close on their acceptance check', () => {
  it('test --merge closes the task whose check passes on the merged result, and no other', async () => {
    const dir = await project();
    const tracker = new LocalTracker(join(dir, '.crew', 'tracker.db'));
    try {
      const ctx = loadPlan(join(dir, 'crew.yaml'));
      commitOn(dir, 'crew/alpha', { 'alpha.txt': 'done\n', 'alpha2.txt': 'half\n' });
      commitOn(dir, 'crew/beta', { 'beta.txt': 'started\n' });

      // Without --merge nothing closes, though checks run and are recorded.
      const dry = await integrate({ ctx, tracker, merge: false });
      expect(dry.tasks.map((t) => `${t.key} ${t.status}`)).toEqual([
        'task/m1/a passed',
        'task/m1/a2 failed',
        'task/m2/b failed',
      ]);
      expect(dry.closed).toEqual([]);
      expect((await byKey(tracker, 'task/m1/a')).state).toBe('open');

      const r = await integrate({ ctx, tracker, merge: true });
      expect(r.mergedIntoBase).toBe(true);
      const a = await byKey(tracker, 'task/m1/a');
      const point = await byKey(tracker, 'integration/alpha-beta');
      expect(r.closed.sort()).toEqual([a.number, point.number].sort());
      expect(a.state).toBe('closed');
      expect(point.state).toBe('closed');
      expect((await byKey(tracker, 'task/m1/a2')).state).toBe('open');
      expect((await byKey(tracker, 'task/m2/b')).state).toBe('open');
      const closes = await tracker.listEvents({ kind: 'close' });
      expect(closes.map((e) => e.data!.key).sort()).toEqual(['integration/alpha-beta', 'task/m1/a']);
      expect((await tracker.listComments(a.number)).at(-1)!.body).toContain(
        'the acceptance check `node has.mjs alpha.txt` passes on the merged result main + crew/alpha, crew/beta',
      );

      // A later commit finishes beta: the next green merge closes it.
      commitOn(dir, 'crew/beta', { 'beta.txt': 'done\n' });
      const again = await integrate({ ctx, tracker, merge: true });
      expect(again.closed).toEqual([(await byKey(tracker, 'task/m2/b')).number]);
      const checks = (await tracker.listEvents({ kind: 'check' })).map((e) => e.data as CheckEventData);
      const b = checks.filter((c) => c.key === 'task/m2/b' && c.scope === 'merge');
      expect(b.map((c) => [c.status, c.previous, c.turnedRed])).toEqual([
        ['failed', null, true],
        ['failed', 'failed', false],
        ['passed', 'failed', false],
      ]);
    } finally {
      await tracker.close();
    }
  }, 120_000);

  it('a merge held back by a failing interface still closes the task whose check passes', async () => {
    const dir = await project();
    const tracker = new LocalTracker(join(dir, '.crew', 'tracker.db'));
    try {
      const main = git(dir, 'rev-parse', 'main');
      commitOn(dir, 'crew/beta', { 'beta.txt': 'done\n' });
      const r = await integrate({ ctx: loadPlan(join(dir, 'crew.yaml')), tracker, merge: true });
      expect(r.tasks.find((t) => t.key === 'task/m2/b')!.status).toBe('passed');
      expect(r.points[0]!.status).toBe('failed'); // alpha.txt is not there
      expect(r.mergedIntoBase).toBe(false);
      expect(git(dir, 'rev-parse', 'main')).toBe(main);
      const b = await byKey(tracker, 'task/m2/b');
      expect(r.closed).toEqual([b.number]);
      expect(b.state).toBe('closed');
      expect((await byKey(tracker, 'integration/alpha-beta')).state).toBe('open');
      const [close] = await tracker.listEvents({ kind: 'close' });
      expect(close!.data).toMatchObject({ key: 'task/m2/b', onBase: false });
    } finally {
      await tracker.close();
    }
  }, 60_000);
});

describe("an agent's branch is checked after its commits rest", () => {
  it('waits for the debounce, checks once per new head, and records a check turning red', async () => {
    const dir = await project();
    const tracker = new LocalTracker(join(dir, '.crew', 'tracker.db'));
    let now = 1_000_000;
    const state: RuntimeState = {
      version: 1,
      socket: null,
      repo: dir,
      base: 'main',
      worktrees: true,
      self: [],
      agents: {
        alpha: {
          session: 'a',
          branch: 'crew/alpha',
          cwd: dir,
          worktree: true,
          argv: ['true'],
          profile: 'plain',
        },
      },
    };
    const checks = new BranchChecks({
      ctx: loadPlan(join(dir, 'crew.yaml')),
      tracker,
      debounceS: 30,
      timeoutMs: 60_000,
      now: () => now,
    });
    const branchChecks = async () =>
      (await tracker.listEvents({ kind: 'check' })).map((e) => e.data as CheckEventData);
    try {
      git(dir, 'branch', 'crew/alpha', 'main');
      await checks.tick(state);
      now += 60_000;
      await checks.tick(state);
      await checks.settle();
      expect(await branchChecks()).toEqual([]); // nothing of its own yet

      const first = commitOn(dir, 'crew/alpha', { 'alpha.txt': 'done\n' });
      await checks.tick(state);
      now += 20_000;
      await checks.tick(state);
      await checks.settle();
      expect(await branchChecks()).toEqual([]); // still within the debounce
      now += 15_000;
      await checks.tick(state);
      await checks.settle();
      const ran = await branchChecks();
      // alpha's two tasks and the interface it provides, on its head.
      expect(ran.map((c) => `${c.key} ${c.status} ${c.scope}`)).toEqual([
        'task/m1/a passed branch',
        'task/m1/a2 failed branch',
        'integration/alpha-beta passed branch',
      ]);
      expect(ran.every((c) => c.sha === first)).toBe(true);
      now += 60_000;
      await checks.tick(state);
      await checks.settle();
      expect(await branchChecks()).toHaveLength(3); // the same head is not checked twice

      commitOn(dir, 'crew/alpha', { 'alpha.txt': 'broken\n' });
      await checks.tick(state);
      now += 31_000;
      await checks.tick(state);
      await checks.settle();
      const red = (await branchChecks()).slice(3).find((c) => c.key === 'task/m1/a')!;
      expect([red.status, red.previous, red.turnedRed]).toEqual(['failed', 'passed', true]);
    } finally {
      await tracker.close();
    }
  }, 60_000);
});

describe('notify hooks', () => {
  it('a command and a local webhook hear a check turning red and an issue labelled blocked', async () => {
    const heard: unknown[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        heard.push(JSON.parse(body));
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const hooksDir = mkdtempSync(join(tmpdir(), 'crew-notify-'));
    mkdirSync(join(hooksDir, 'out'));
    const hook = join(hooksDir, 'hook.mjs');
    writeFileSync(
      hook,
      `import { appendFileSync, readFileSync } from 'node:fs';\nappendFileSync(${JSON.stringify(join(hooksDir, 'out', 'events.jsonl'))}, readFileSync(0, 'utf8'));\n`,
    );
    try {
      const dir = await project(
        `notify:\n  - { command: 'node "${hook}"', events: [check-red] }\n  - { url: "http://127.0.0.1:${port}/crew" }\n`,
      );
      commitOn(dir, 'crew/beta', { 'beta.txt': 'started\n' });
      const test = await crew(dir, 'test');
      expect(test.code).toBe(1); // the interface fails: alpha has not delivered
      expect(test.stdout).toMatch(/^failed {3}task\/m2\/b: node has\.mjs beta\.txt \(#3\)$/m);
      expect(test.stdout).toContain('task checks: 0 of 3 pass');
      const lines = readFileSync(join(hooksDir, 'out', 'events.jsonl'), 'utf8')
        .trim()
        .split('\n');
      const byCommand = lines.map((l) => JSON.parse(l) as { event: string; data: CheckEventData });
      expect(byCommand.map((n) => `${n.event} ${n.data.key}`).sort()).toEqual([
        'check-red integration/alpha-beta',
        'check-red task/m1/a',
        'check-red task/m1/a2',
        'check-red task/m2/b',
      ]);
      // The webhook hears all three kinds: the red checks, and the failing interface labelled blocked.
      const events = (heard as { event: string; issue: number | null }[]).map((n) => n.event);
      expect(events.filter((e) => e === 'check-red')).toHaveLength(4);
      expect(heard.find((n) => (n as { event: string }).event === 'blocked')).toMatchObject({ issue: 4 });
      expect(heard).toHaveLength(5);

      const label = await crew(dir, 'issues', 'label', '3', '--add', 'blocked');
      expect(label.code, label.stderr).toBe(0);
      expect(heard.at(-1)).toMatchObject({ event: 'blocked', project: 'accept', issue: 3 });
      // The command hook asked for check-red only.
      expect(
        readFileSync(join(hooksDir, 'out', 'events.jsonl'), 'utf8')
          .trim()
          .split('\n'),
      ).toHaveLength(4);
      // A second red run is no turn, and the interface was blocked already: nobody is told again.
      await crew(dir, 'test');
      expect(heard).toHaveLength(6);
    } finally {
      server.close();
    }
  }, 60_000);
});
