/**
 * aider (Python, `pip install aider-chat`; no npm package, so this profile follows its documented
 * options: aider.chat/docs/config/options.html). It takes the prompt typed at its `>` prompt;
 * `--restore-chat-history` resumes. `--notifications-command` runs, with no payload, whenever aider
 * finishes a reply and waits for the next message: the end of a turn.
 */
import { shellWord, type AgentProfile, type Permissions } from './types.js';

const PERMISSION_FLAGS: Record<Permissions, string[]> = {
  ask: [],
  // aider applies edits without asking; its questions are about running commands and adding files.
  edits: [],
  full: ['--yes-always'],
};

export const aider: AgentProfile = {
  name: 'aider',
  program: 'aider',
  delivery: 'typed',
  hooks: 'turn-end',
  hookPayload: 'none',
  screen: {
    working: [/Waiting for .*\.\.\./i, /Tokens:/],
    waiting: [/\(Y\)es\/\(N\)o/i],
    idle: [/^\S*>\s*$/m],
  },
  launch: ({ argv, prompt, resume, permissions, hook }) => ({
    argv: [
      ...argv,
      ...PERMISSION_FLAGS[permissions],
      ...(resume ? ['--restore-chat-history'] : []),
      '--notifications',
      '--notifications-command',
      hook.map(shellWord).join(' '),
    ],
    typed: prompt,
    env: { AIDER_ANALYTICS: 'false', AIDER_CHECK_UPDATE: 'false', AIDER_SHOW_RELEASE_NOTES: 'false' },
    files: [],
  }),
  hookReport: () => ({ state: 'idle-done', event: 'notification' }),
};
