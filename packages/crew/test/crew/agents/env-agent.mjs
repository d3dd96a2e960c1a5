// A scripted agent that has only what its tmux session gives it: `llm-crew` on PATH and the
// LLM_CREW_* variables. From its worktree it comments on the issue it starts on, saying what its
// environment held, then idles like an agent at its prompt.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setInterval } from 'node:timers';

const env = (name) => process.env[name] ?? '(unset)';
const body = [
  `agent ${env('LLM_CREW_AGENT')} on issue ${env('LLM_CREW_ISSUE')}`,
  `root ${env('LLM_CREW_ROOT')}`,
  `brief ${existsSync(env('LLM_CREW_BRIEF')) ? 'present' : 'missing'}`,
].join('; ');
const out = execFileSync('llm-crew', ['issues', 'comment', env('LLM_CREW_ISSUE'), '--body', body], {
  encoding: 'utf8',
});
console.log(`commented: ${out.trim()}`);
setInterval(() => {}, 1 << 30);
