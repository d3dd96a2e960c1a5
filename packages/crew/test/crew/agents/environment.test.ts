// The environment an agent works in, on real tmux, git, SQLite and a real PDF split into chunks:
// `up` refuses while a chunk the briefs name is missing, then commits the plan, the chunks and the
// briefs on the base (nothing else, as llm-crew), so each worktree holds them, clean; the brief
// points at the agent's chunks and says how to claim, check and finish an issue; and a scripted
// agent calls plain `llm-crew issues comment` from its worktree, whose comment lands in the crew's
// tracker with the crew's variables in it. A second `up` after `down` commits nothing.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { crewDown } from '../../../src/crew/agents/down.js';
import { alive } from '../../../src/crew/agents/processes.js';
import { crewUp } from '../../../src/crew/agents/up.js';
import { splitBook } from '../../../src/crew/book/split.js';
import { loadPlan } from '../../../src/crew/plan/index.js';
import { LocalTracker } from '../../../src/crew/tracker/index.js';
import { CHAPTERS, makeBook } from '../book/fixtures.js';
import { CLI, syncInProcess, TSX } from './project.js';
import { waitFor } from './real-agent.js';

const exec = promisify(execFile);
const AGENT = fileURLToPath(new URL('./env-agent.mjs', import.meta.url));
const socket = `crew-env-${process.pid}`;
afterAll(() => exec('tmux', ['-L', socket, 'kill-server']).catch(() => {}));

// The supervisor is the coordinator pane's own process (tmux runs its argv without a shell); it
// is taken once it says it is supervising, that is, once it handles its signals.
async function supervisorPid(): Promise<number> {
  const pane = ['-t', '=llm-coordinator:'];
  await waitFor('the supervisor to start', async () => {
    const screen = (await exec('tmux', ['-L', socket, 'capture-pane', '-p', ...pane])).stdout;
    return screen.includes('supervising') ? true : null;
  });
  const { stdout } = await exec('tmux', ['-L', socket, 'list-panes', ...pane, '-F', '#{pane_pid}']);
  return Number(stdout.trim());
}

// Waits for the process to end (or to be only a zombie left to reap).
async function ended(pid: number, what: string): Promise<void> {
  await waitFor(what, async () => (alive(pid) ? null : true), 10_000);
}

const PLAN = `version: 1
project: { name: env-test }
book: { file: book.pdf, structure: chunks/structure.json, chunks: chunks }
agents:
  - id: alpha
    role: Getting started
    session: env-alpha
    chapters: ["1"]
    command: 'node "${AGENT}"'
  - id: beta
    role: Tensors and training
    session: env-beta
    chapters: ["2", "3"]
    command: sleep 600
milestones:
  - id: m1
    title: "M1: Start"
    owner: alpha
    day: 1
    deliverables: [{ id: start, title: A first model, sections: ["1"] }]
  - id: m2
    title: "M2: Tensors"
    owner: beta
    day: 2
    depends: [m1]
    deliverables: [{ id: tensors, title: Tensors, sections: ["2"] }]
`;

it('commits plan, chunks and briefs into the worktrees; llm-crew runs in the agent session', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'crew-env-'));
  const git = (...a: string[]) => exec('git', a, { cwd: dir }).then((r) => r.stdout);
  await git('init', '-q', '-b', 'main');
  writeFileSync(join(dir, 'README.md'), '# a project\n');
  await git('add', 'README.md');
  await git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'chore: start');
  // The book, its chunks and the plan are made but not committed, as the README's steps leave them.
  await makeBook({ chapters: CHAPTERS, outline: 'flat', labels: true, toc: false }, dir);
  const splits = await splitBook(join(dir, 'book.pdf'), { by: 'chapter' }, join(dir, 'chunks'));
  writeFileSync(join(dir, 'crew.yaml'), PLAN);
  await syncInProcess(dir);

  const tracker = new LocalTracker(join(dir, '.crew', 'tracker.db'));
  const up = () =>
    crewUp({
      ctx: loadPlan(join(dir, 'crew.yaml'), { check: false }),
      tracker,
      socket,
      worktrees: true,
      self: [process.execPath, '--import', TSX, CLI],
      superviseArgs: ['--interval', '3600'],
    });
  try {
    const ch2 = splits.chunks.find((c) => c.chapters.includes('Chapter 2 Tensors and Gradients'))!;
    renameSync(join(dir, 'chunks', ch2.markdown), join(dir, 'aside.md'));
    await expect(up()).rejects.toThrow(
      `${join(dir, 'chunks', ch2.markdown)}: missing, though splits.json lists it (chunk ${ch2.chunk}, ${ch2.title})`,
    );
    expect(await git('log', '--format=%s', 'main')).toBe('chore: start\n');
    renameSync(join(dir, 'aside.md'), join(dir, 'chunks', ch2.markdown));

    const result = await up();
    expect(result.started).toEqual(['alpha', 'beta']);
    const chunkFiles = splits.chunks.flatMap((c) => [`chunks/${c.file}`, `chunks/${c.markdown}`]);
    expect(result.committed!.files.sort()).toEqual(
      [
        'briefs/alpha.md',
        'briefs/beta.md',
        'chunks/splits.json',
        'chunks/structure.json',
        'crew.yaml',
        ...chunkFiles,
      ].sort(),
    );
    expect(await git('log', '-1', '--format=%an: %s', 'main')).toBe(
      'llm-crew: chore(crew): the plan, book chunks and briefs for alpha, beta\n',
    );
    // The book itself was not asked for by any brief: it stays untracked.
    expect(await git('status', '--porcelain')).toBe('?? book.pdf\n');

    const tree = join(dir, '.crew', 'worktrees', 'alpha');
    for (const f of ['crew.yaml', 'briefs/alpha.md', 'chunks/splits.json', ...chunkFiles])
      expect(existsSync(join(tree, f)), f).toBe(true);
    expect(await exec('git', ['status', '--porcelain'], { cwd: tree }).then((r) => r.stdout)).toBe('');
    const ch1 = splits.chunks.find((c) => c.chapters.includes('Chapter 1 Getting Started'))!;
    const brief = readFileSync(join(tree, 'briefs', 'alpha.md'), 'utf8');
    expect(brief).toContain(`\`chunks/${ch1.file}\`, \`chunks/${ch1.markdown}\``);
    expect(brief).not.toContain(ch2.file);
    expect(brief).toContain('`llm-crew issues label N --add in-progress`');
    expect(brief).toContain('`llm-crew issues label N --add ready-for-review --remove in-progress`');
    expect(brief).toContain('acceptance check');
    expect(brief).not.toContain(dir);

    // The agent's comment, made with the `llm-crew` on its PATH, lands on its issue.
    const task = (await tracker.listIssues()).find((i) => i.key === 'task/m1/start')!;
    const end = Date.now() + 90_000;
    let comments = await tracker.listComments(task.number);
    while (comments.length === 0 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 300));
      comments = await tracker.listComments(task.number);
    }
    expect(comments.map((c) => [c.author, c.body])).toEqual([
      ['alpha', `agent alpha on issue ${task.number}; root ${dir}; brief present`],
    ]);

    // The supervisor looks once an hour here: down must end it at once, not an hour later.
    const supervisor = await supervisorPid();
    const down = await crewDown({ dir, tracker, keepWorktrees: false });
    expect(down.removedWorktrees).toHaveLength(2);
    await ended(supervisor, 'the supervisor to end after down');

    // Up again after down: the same plan gives the same briefs, so there is nothing to commit, and
    // the worktrees made again from the agents' branches hold everything.
    const again = await up();
    expect(again).toMatchObject({ started: ['alpha', 'beta'], committed: null, warnings: [] });
    expect(existsSync(join(tree, 'chunks', ch1.file))).toBe(true);
    expect(await git('log', '--format=%s', 'main')).toBe(
      'chore(crew): the plan, book chunks and briefs for alpha, beta\nchore: start\n',
    );
    const second = await supervisorPid();
    await crewDown({ dir, tracker, keepWorktrees: true });
    await ended(second, 'the second supervisor to end after down');
  } finally {
    await tracker.close();
  }
}, 150_000);
