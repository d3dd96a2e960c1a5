/**
 * Gemini CLI (`gemini`, @google/gemini-cli 0.61.0). The prompt is the positional query (interactive
 * by default); `--resume latest` reopens the last session. Hooks live in the worktree's
 * `.gemini/settings.json` (the same shape as Claude Code's), with `hook_event_name` in the JSON on
 * stdin; the project's settings count only in a trusted folder, hence `--skip-trust` once the user
 * lets the agent act on its own.
 */
import { withCrewHooks } from './hook-settings.js';
import { pointer, record, type AgentProfile, type HookReport, type Permissions } from './types.js';

const PERMISSION_FLAGS: Record<Permissions, string[]> = {
  ask: ['--approval-mode', 'default'],
  edits: ['--approval-mode', 'auto_edit', '--skip-trust'],
  full: ['--approval-mode', 'yolo', '--skip-trust'],
};

// As for Claude Code: BeforeTool says a tool runs, AfterTool would cost a start of llm-crew for nothing.
export const GEMINI_HOOK_EVENTS = ['BeforeAgent', 'BeforeTool', 'AfterAgent', 'Notification'];

function report(payload: unknown): HookReport | null {
  const p = record(payload);
  const event = String(p.hook_event_name ?? '');
  switch (event) {
    case 'BeforeAgent':
    case 'BeforeTool':
    case 'AfterTool':
      return { state: 'working', event };
    case 'AfterAgent':
      return { state: 'idle-done', event };
    case 'Notification':
      return p.notification_type === 'ToolPermission'
        ? { state: 'waiting-for-input', event: `${event}:ToolPermission` }
        : null;
    default:
      return null;
  }
}

const SETTINGS = '.gemini/settings.json';

export const gemini: AgentProfile = {
  name: 'gemini',
  program: 'gemini',
  delivery: 'argument',
  hooks: 'all',
  hookPayload: 'stdin',
  screen: {
    working: [/esc to cancel/i],
    waiting: [/Allow execution/i, /Apply this change\?/i, /Waiting for user confirmation/i],
    idle: [/Type your message/i],
  },
  launch: ({ argv, promptFile, resume, permissions, hook }) => ({
    argv: [
      ...argv,
      ...PERMISSION_FLAGS[permissions],
      ...(resume ? ['--resume', 'latest'] : []),
      pointer(promptFile, resume),
    ],
    typed: null,
    env: { GEMINI_TELEMETRY_ENABLED: 'false' },
    files: [
      {
        path: SETTINGS,
        update: (current) => {
          const withHooks = JSON.parse(withCrewHooks(current, GEMINI_HOOK_EVENTS, hook)) as Record<
            string,
            unknown
          >;
          const general = {
            ...record(withHooks.general),
            enableAutoUpdate: false,
            enableAutoUpdateNotification: false,
          };
          const privacy = { ...record(withHooks.privacy), usageStatisticsEnabled: false };
          return JSON.stringify({ ...withHooks, general, privacy }, null, 2) + '\n';
        },
      },
    ],
  }),
  hookReport: report,
};
