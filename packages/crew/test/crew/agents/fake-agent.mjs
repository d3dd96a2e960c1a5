// A scripted stand-in for a coding agent (run by `llm-crew up` in a tmux session): it reads its
// brief, writes its file in its working tree, commits it, and marks its task ready for review
// through `llm-crew issues`, then idles like an agent waiting at its prompt. With --crash-once it
// exits with status 3 the first time, before doing anything.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setInterval } from 'node:timers';

const agent = process.env.CREW_AGENT;
const brief = readFileSync(process.env.CREW_BRIEF, 'utf8');
const args = process.argv.slice(2);
const say = args[args.indexOf('--say') + 1] ?? '';
// Beside the crew's tracker: the brief is in the worktree on the first run and in .crew/ on a restart.
const crashMark = join(dirname(process.env.CREW_DB), `${agent}.crashed`);
console.log(`${agent}: brief of ${brief.length} characters; args ${JSON.stringify(args)}`);

if (args.includes('--crash-once') && !existsSync(crashMark)) {
  writeFileSync(crashMark, 'crashed\n');
  console.log(`${agent}: crashing on purpose`);
  process.exit(3);
}

const cli = JSON.parse(readFileSync(new URL('./cli.json', import.meta.url), 'utf8'));
const crew = (...a) => execFileSync(cli[0], [...cli.slice(1), ...a], { encoding: 'utf8' });
// Two agents sharing one repository (--no-worktrees) can meet on git's index lock: try again.
const git = (...a) => {
  for (let attempt = 1; ; attempt++) {
    try {
      return execFileSync('git', a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      if (attempt >= 20 || !String(err.stderr).includes('.lock')) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100 + Math.random() * 200);
    }
  }
};

const file = `${agent}.txt`;
writeFileSync(file, `${agent} was here${process.env.CREW_RECOVERY ? ' after a restart' : ''}\n${say}\n`);
git('add', '--', file);
git(
  '-c',
  'user.name=fake',
  '-c',
  'user.email=fake@example.com',
  'commit',
  '-q',
  '-m',
  `feat(${agent}): ${file}`,
  '--',
  file,
);
const { issues } = JSON.parse(crew('issues', 'list', '--agent', agent, '--json'));
const task = issues.find((i) => i.key.startsWith('task/'));
crew('issues', 'label', String(task.number), '--add', 'ready-for-review');
console.log(`${agent}: committed ${file}, issue #${task.number} ready for review`);
setInterval(() => {}, 1 << 30);
