/**
 * Codex CLI (`codex`, @openai/codex 0.171.0). The prompt is the positional argument; `codex resume
 * --last PROMPT` reopens the most recent session. Its `notify` program gets one JSON argument when a
 * turn completes (`agent-turn-complete`) or an approval is requested (`approval-requested`); it is
 * set with `-c notify=[...]`, so no file of the user's is touched. Codex reports no start of a turn:
 * output after the last notification means it works again.
 */
import { pointer, record, type AgentProfile, type Permissions } from './types.js';

const PERMISSION_FLAGS: Record<Permissions, string[]> = {
  ask: ['--ask-for-approval', 'on-request'],
  edits: ['--sandbox', 'workspace-write', '--ask-for-approval', 'on-request'],
  full: ['--dangerously-bypass-approvals-and-sandbox'],
};

const tomlString = (s: string) => JSON.stringify(s);

export const codex: AgentProfile = {
  name: 'codex',
  program: 'codex',
  delivery: 'argument',
  hooks: 'turn-end',
  hookPayload: 'argument',
  screen: {
    working: [/esc to interrupt/i],
    waiting: [/Would you like to run/i, /Allow command\?/i, /approve/i],
    // Its empty composer and footer, as 0.171.0 draws them.
    idle: [/Ask Codex to do anything/, /\? for shortcuts/],
  },
  launch: ({ argv, promptFile, resume, permissions, hook }) => ({
    argv: [
      ...argv,
      ...(resume ? ['resume', '--last'] : []),
      ...PERMISSION_FLAGS[permissions],
      '-c',
      `notify=[${hook.map(tomlString).join(',')}]`,
      '-c',
      'check_for_update_on_startup=false',
      '-c',
      'analytics.enabled=false',
      pointer(promptFile, resume),
    ],
    typed: null,
    env: {},
    files: [],
  }),
  hookReport: (payload) => {
    const type = String(record(payload).type ?? '');
    if (type === 'agent-turn-complete') return { state: 'idle-done', event: type };
    if (type === 'approval-requested') return { state: 'waiting-for-input', event: type };
    return null;
  },
};
