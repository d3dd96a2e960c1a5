// A one-agent crew project for the end-to-end runs of real agent programs: a git repository with a
// plan whose agent `alpha` runs the given program, an acceptance check (check.mjs) that passes once
// hello.txt holds the right line, the tracker synced, `llm-crew` on a PATH directory as a user's
// install would have it, and a HOME of its own. The scripted session every program replays.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Issue } from '../../../src/crew/tracker/index.js';
import { LocalTracker } from '../../../src/crew/tracker/index.js';
import { llmBook } from '../plan/fixtures.js';
import { CLI, TSX } from './project.js';
import { runCrew } from './run-crew.js';

const CHECK = `import { readFileSync } from 'node:fs';
const text = readFileSync('hello.txt', 'utf8');
if (text !== 'hello from alpha\\n') { console.error('hello.txt: unexpected ' + JSON.stringify(text)); process.exit(1); }
console.log('acceptance: hello.txt is right');
`;

export const ACCEPTED = 'acceptance: hello.txt is right';

export interface RealAgentProject {
  dir: string;
  home: string;
  /** The directory with `llm-crew` in it, for the agent's PATH. */
  bin: string;
  /** Alpha's worktree once `up` made it. */
  worktree: string;
  tracker: LocalTracker;
  issue: Issue;
}

/** `agent`: the YAML of alpha's program, permissions and command, indented as list-item fields. */
export async function makeRealAgentProject(prefix: string, agent: string): Promise<RealAgentProject> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  const home = join(dir, '.home');
  const bin = join(dir, '.bin');
  mkdirSync(home);
  mkdirSync(bin);
  writeFileSync(join(dir, 'structure.json'), JSON.stringify(llmBook()));
  writeFileSync(
    join(dir, 'crew.yaml'),
    `version: 1
project: { name: crew-real-agent }
book: { structure: structure.json }
agents:
  - id: alpha
    role: Alpha
    chapters: [1, 2, 3, 4, 5, 6, 7]
${agent}
milestones:
  - id: m1
    title: "M1: hello"
    owner: alpha
    day: 1
    deliverables: [{ id: hello, title: hello.txt, sections: ["1"] }]
`,
  );
  writeFileSync(join(dir, 'check.mjs'), CHECK);
  writeFileSync(join(dir, '.gitignore'), '.home/\n.bin/\n');
  const git = (...a: string[]) => execFileSync('git', a, { cwd: dir, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'chore: the project');
  const sync = await runCrew(dir, ['issues', 'sync']);
  if (sync.code !== 0) throw new Error(`issues sync: ${sync.stderr}`);
  const tracker = new LocalTracker(join(dir, '.crew', 'tracker.db'));
  const issue = (await tracker.listIssues()).find((i) => i.key === 'task/m1/hello')!;
  writeFileSync(
    join(bin, 'llm-crew'),
    `#!/bin/sh\nexec '${process.execPath}' --import '${TSX}' '${CLI}' "$@"\n`,
  );
  chmodSync(join(bin, 'llm-crew'), 0o755);
  return { dir, home, bin, worktree: join(dir, '.crew', 'worktrees', 'alpha'), tracker, issue };
}

/** The shell commands of the scripted session, after reading the brief and writing the file. */
export const sessionCommands = (issue: number) => ({
  readBrief: 'cat "$CREW_BRIEF"',
  check: 'node check.mjs',
  commit:
    'git add hello.txt && git -c user.name=alpha -c user.email=alpha@example.com commit -q -m "feat(alpha): hello.txt" && git log --format=%s -1',
  close: `llm-crew issues close ${issue} --comment 'hello.txt committed; node check.mjs passes'`,
});

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | null>,
  timeoutMs = 300_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await probe();
    if (v !== null) return v;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}
