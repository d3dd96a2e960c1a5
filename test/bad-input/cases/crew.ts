// llm-crew's misuses: plans that are not plans (a wrong type, an alias bomb, none at all), a
// runtime whose worktrees are gone (status after down), and PDFs that are not PDFs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { llmBook, SEED_YAML } from '../../../packages/crew/test/crew/plan/fixtures.js';
import type { BadInputCase } from '../case.js';

const WRONG_TYPE = SEED_YAML.replace('role: Training', 'role: Training\n    command: 42');
const UNKNOWN_PROGRAM = SEED_YAML.replace('role: Training', 'role: Training\n    program: cursor');
const PLAIN_WITHOUT_COMMAND = SEED_YAML.replace('role: Training', 'role: Training\n    program: plain');
const WRONG_TYPE_LINE = WRONG_TYPE.split('\n').findIndex((l) => l.includes('command: 42')) + 1;

// "Billion laughs": nine levels of ten aliases each, 10^9 strings once expanded.
const ALIAS_BOMB = [
  'a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]',
  ...'bcdefghi'.split('').map((name, i) => {
    const prev = String.fromCharCode(97 + i);
    return `${name}: &${name} [${Array(10).fill(`*${prev}`).join(', ')}]`;
  }),
].join('\n');

function writePlan(dir: string, yaml: string): void {
  writeFileSync(join(dir, 'structure.json'), JSON.stringify(llmBook()));
  writeFileSync(join(dir, 'crew.yaml'), yaml);
}

/** A crew that was up and went down: the runtime still names worktrees that `down` removed. */
function afterDown(dir: string): void {
  writePlan(dir, SEED_YAML);
  const git = (...a: string[]) => execFileSync('git', a, { cwd: dir, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'chore: the plan');
  git('branch', 'crew/foundation');
  const agent = (id: string) => ({
    session: `crew-${id}`,
    branch: `crew/${id}`,
    cwd: join(dir, '.crew', 'worktrees', id),
    worktree: true,
    argv: ['claude'],
    profile: 'claude',
  });
  mkdirSync(join(dir, '.crew'), { recursive: true });
  const runtime = {
    version: 1,
    socket: `bad-input-${process.pid}`,
    repo: dir,
    base: 'main',
    worktrees: true,
    self: [],
    agents: Object.fromEntries(['foundation', 'architecture'].map((id) => [id, agent(id)])),
  };
  writeFileSync(join(dir, '.crew', 'runtime.json'), JSON.stringify(runtime));
}

export const cases: BadInputCase[] = [
  {
    program: 'llm-crew',
    kind: 'wrong type in a file',
    args: ['plan', '--check'],
    setup: (dir) => writePlan(dir, WRONG_TYPE),
    exit: 1,
    stderr: `crew.yaml:${WRONG_TYPE_LINE}: agents[2].command: expected a string, got number 42`,
  },
  {
    program: 'llm-crew',
    kind: 'resource exhaustion',
    args: ['plan', '--check'],
    setup: (dir) => writePlan(dir, ALIAS_BOMB),
    exit: 1,
    stderr: 'crew.yaml: not valid YAML: too many aliases (a YAML alias bomb?)',
  },
  {
    program: 'llm-crew',
    kind: 'missing file',
    args: ['plan', '--check'],
    exit: 1,
    stderr: "crew.yaml: no plan here; make one with 'llm-crew init --book structure.json --agents N'",
  },
  {
    program: 'llm-crew',
    kind: 'missing directory',
    args: ['status', '--plan', '{dir}/gone/crew.yaml'],
    exit: 1,
    stderr: "/gone/crew.yaml: no plan here; make one with 'llm-crew init --book structure.json --agents N'",
  },
  {
    program: 'llm-crew',
    kind: 'missing directory',
    // Every worktree in .crew/runtime.json is gone: status reads the branches from the repository.
    args: ['status', '--json'],
    setup: afterDown,
    exit: 0,
    stderr: '',
  },
  {
    program: 'llm-crew',
    kind: 'missing file',
    args: ['book', 'analyze', '{dir}/nope.pdf'],
    exit: 1,
    stderr: '/nope.pdf: cannot read (no such file)',
  },
  {
    program: 'llm-crew',
    kind: 'not the expected format',
    args: ['book', 'analyze', '{dir}/notes.pdf'],
    setup: (dir) => writeFileSync(join(dir, 'notes.pdf'), 'just some notes\n'),
    exit: 1,
    stderr: '/notes.pdf: not a PDF file (no %PDF- header)',
  },
  {
    program: 'llm-crew',
    kind: 'truncated file',
    args: ['book', 'analyze', '{dir}/cut.pdf'],
    setup: (dir) =>
      writeFileSync(join(dir, 'cut.pdf'), '%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n'),
    exit: 1,
    stderr: '/cut.pdf: truncated or corrupt PDF (no %%EOF marker at the end of the file)',
  },
  {
    program: 'llm-crew',
    kind: 'no project here',
    args: ['issues', 'close', '3'],
    exit: 1,
    stderr: "/.crew/tracker.db: no tracker here; 'llm-crew issues sync' makes it from crew.yaml",
  },
  {
    program: 'llm-crew',
    kind: 'unknown choice',
    args: ['plan', '--check'],
    setup: (dir) => writePlan(dir, UNKNOWN_PROGRAM),
    exit: 1,
    stderr: /agents\[2\]\.program: .*cursor/,
  },
  {
    program: 'llm-crew',
    kind: 'missing value',
    args: ['plan', '--check'],
    setup: (dir) => writePlan(dir, PLAIN_WITHOUT_COMMAND),
    exit: 1,
    stderr: "agents[2].program: program 'plain' needs a command",
  },
  {
    program: 'llm-crew',
    kind: 'unknown choice',
    args: ['hook', 'cursor', '--agent', 'a'],
    exit: 2,
    stderr: "unknown PROGRAM 'cursor' (programs: claude, codex, gemini, opencode, aider, plain)",
  },
  {
    program: 'llm-crew',
    kind: 'not the expected format',
    args: ['hook', 'claude', '{"hook_event_name": ', '--agent', 'a'],
    exit: 1,
    stderr: 'hook claude: the payload is not JSON',
  },
];
