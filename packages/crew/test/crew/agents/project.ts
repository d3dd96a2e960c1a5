// A temporary crew project for the runtime's tests: a git repository with a two-agent plan whose
// agents are fake-agent.mjs, an integration point whose test checks both agents' files, and the
// tracker synced (in this process). Each project gets its own tmux socket name.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { llmBook } from '../plan/fixtures.js';
import { desiredState, loadPlan } from '../../../src/crew/plan/index.js';
import { LocalTracker, syncTracker } from '../../../src/crew/tracker/index.js';

export const FAKE_AGENT = fileURLToPath(new URL('./fake-agent.mjs', import.meta.url));
export const CLI = fileURLToPath(new URL('../../../src/cli/llm-crew.ts', import.meta.url));
// The loader `--import tsx` names, as a URL: agents run it from directories without node_modules.
export const TSX = new URL('../../../../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

export interface Project {
  dir: string;
  socket: string;
  /** The fake agent's copy in the project (its path has a space). */
  agentScript: string;
}

export function planYaml(agentScript: string, commands?: { a?: string; b?: string }): string {
  const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const a = commands?.a ?? `node "${agentScript}" --say "it's a; \\"quoted\\" test"`;
  const b = commands?.b ?? `node "${agentScript}" --crash-once`;
  return `version: 1
project: { name: crew-e2e }
book: { structure: structure.json }
agents:
  - id: alpha
    role: Alpha
    session: "crew alpha; 'one'"
    chapters: [1, 2, 3]
    command: ${q(a)}
  - id: beta
    role: Beta
    session: crew-beta
    chapters: [4, 5, 6, 7]
    command: ${q(b)}
milestones:
  - id: m1
    title: "M1: Alpha"
    owner: alpha
    day: 1
    deliverables: [{ id: a, title: Alpha's file, sections: ["1"] }]
  - id: m2
    title: "M2: Beta"
    owner: beta
    day: 2
    depends: [m1]
    deliverables: [{ id: b, title: Beta's file, sections: ["4"] }]
integration:
  - id: both-files
    from: alpha
    to: beta
    module: files
    interface: alpha.txt and beta.txt
    day: 2
    test: node check.mjs
`;
}

const CHECK = `import { existsSync } from 'node:fs';
const missing = ['alpha.txt', 'beta.txt'].filter((f) => !existsSync(f));
if (missing.length) { console.error('missing ' + missing.join(', ')); process.exit(1); }
console.log('both files present');
`;

/** `llm-crew issues sync` in this process (a CLI start through tsx costs seconds). */
export async function syncInProcess(dir: string): Promise<void> {
  const tracker = new LocalTracker(join(dir, '.crew', 'tracker.db'));
  try {
    await syncTracker(tracker, desiredState(loadPlan(join(dir, 'crew.yaml'))), false);
  } finally {
    await tracker.close();
  }
}

/** `prefix`: the start of the project directory's name (in the system's temporary directory). */
export async function makeProject(
  commands?: { a?: string; b?: string },
  prefix = 'crew-e2e-',
): Promise<Project> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const agentScript = join(dir, 'fake agent.mjs');
  copyFileSync(FAKE_AGENT, agentScript);
  writeFileSync(join(dir, 'cli.json'), JSON.stringify([process.execPath, '--import', TSX, CLI]));
  writeFileSync(join(dir, 'structure.json'), JSON.stringify(llmBook()));
  writeFileSync(join(dir, 'crew.yaml'), planYaml(agentScript, commands));
  writeFileSync(join(dir, 'check.mjs'), CHECK);
  const git = (...a: string[]) => execFileSync('git', a, { cwd: dir, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'chore: the project');
  await syncInProcess(dir);
  return { dir, socket: `crew-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`, agentScript };
}
