/**
 * opencode (`opencode`, opencode-ai 1.18.33). The TUI takes its first prompt with `--prompt`;
 * `--continue` reopens the last session. Its permissions are configuration (OPENCODE_PERMISSION,
 * JSON) besides `--auto`. Its events reach plugins only, not a command, so the screen tells its state.
 */
import { pointer, type AgentProfile, type Permissions } from './types.js';

const PERMISSION: Record<Permissions, { flags: string[]; env: Record<string, string> }> = {
  ask: { flags: [], env: {} },
  edits: { flags: [], env: { OPENCODE_PERMISSION: JSON.stringify({ edit: 'allow' }) } },
  full: { flags: ['--auto'], env: {} },
};

export const opencode: AgentProfile = {
  name: 'opencode',
  program: 'opencode',
  delivery: 'argument',
  hooks: 'none',
  hookPayload: 'none',
  screen: {
    working: [/esc interrupt/i, /working\.\.\./i],
    waiting: [/Permission required/i, /Allow (once|always)/i],
    idle: [/ctrl\+p commands/i],
  },
  launch: ({ argv, promptFile, resume, permissions }) => ({
    argv: [
      ...argv,
      ...PERMISSION[permissions].flags,
      ...(resume ? ['--continue'] : []),
      '--prompt',
      pointer(promptFile, resume),
    ],
    typed: null,
    env: {
      ...PERMISSION[permissions].env,
      OPENCODE_DISABLE_AUTOUPDATE: '1',
      OPENCODE_DISABLE_SHARE: '1',
      OPENCODE_DISABLE_MODELS_FETCH: '1',
    },
    files: [],
  }),
  hookReport: () => null,
};
