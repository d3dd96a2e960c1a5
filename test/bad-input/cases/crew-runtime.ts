// llm-crew's runtime refusing to start agents that could not work: chunks the briefs would point at
// are missing, a book file lies outside the repository (no worktree could hold it), or another `up`
// holds the crew's lock. Each is refused before any tmux session starts; the socket is a private
// one all the same, so that a regression could never touch the user's own tmux server.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { llmBook, SEED_YAML } from '../../../packages/crew/test/crew/plan/fixtures.js';
import type { BadInputCase } from '../case.js';

const SOCKET = 'bad-input-runtime';
const UP = ['up', '--command', 'sleep 600', '--socket', SOCKET];

/** A git repository in `dir` holding the seed's plan, with `book:` lines replaced by `book`. */
function repoWithPlan(dir: string, book: string): void {
  const yaml = SEED_YAML.replace(/book:\n(?: {2}.*\n)+/, `book:\n${book}`);
  writeFileSync(join(dir, 'structure.json'), JSON.stringify(llmBook()));
  writeFileSync(join(dir, 'crew.yaml'), yaml);
  const git = (...a: string[]) => execFileSync('git', a, { cwd: dir, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'chore: the plan');
}

const SPLITS = {
  format: 'llm-crew/book-splits',
  version: 1,
  chunks: [
    {
      chunk: 1,
      title: 'Chapter 1',
      entries: ['ch-1'],
      file: '01-chapter-1.pdf',
      markdown: '01-chapter-1.md',
    },
  ],
};

export const cases: BadInputCase[] = [
  {
    program: 'llm-crew',
    kind: 'missing directory',
    args: UP,
    setup: (dir) => repoWithPlan(dir, '  structure: structure.json\n  chunks: chunks\n'),
    exit: 1,
    stderr: "crew.yaml: book.chunks 'chunks': no such directory",
  },
  {
    program: 'llm-crew',
    kind: 'missing file',
    args: UP,
    setup: (dir) => {
      repoWithPlan(dir, '  structure: structure.json\n  chunks: chunks\n');
      mkdirSync(join(dir, 'chunks'));
      writeFileSync(join(dir, 'chunks', 'splits.json'), JSON.stringify(SPLITS));
      writeFileSync(join(dir, 'chunks', '01-chapter-1.pdf'), '%PDF-1.7\n');
    },
    exit: 1,
    stderr: '/chunks/01-chapter-1.md: missing, though splits.json lists it (chunk 1, Chapter 1)',
  },
  {
    program: 'llm-crew',
    kind: 'outside the repository',
    args: [...UP, '--plan', '{dir}/repo/crew.yaml'],
    setup: (dir) => {
      mkdirSync(join(dir, 'repo'));
      repoWithPlan(join(dir, 'repo'), '  structure: ../structure.json\n');
      writeFileSync(join(dir, 'structure.json'), JSON.stringify(llmBook()));
    },
    exit: 1,
    stderr: '/structure.json is outside the repository',
  },
  {
    program: 'llm-crew',
    kind: 'already running',
    args: UP,
    // The lock names a live process (the one running the table): another up is starting the crew.
    setup: (dir) => {
      repoWithPlan(dir, '  structure: structure.json\n');
      mkdirSync(join(dir, '.crew'));
      writeFileSync(join(dir, '.crew', 'up.lock'), `${process.pid}\n`);
    },
    exit: 1,
    stderr: 'up.lock; wait for it to finish, or remove the file if no such process runs',
  },
];
