/**
 * Claude Code (`claude`, @anthropic-ai/claude-code 2.1.197). The prompt is the positional argument
 * of the interactive session; `--continue` reopens the directory's last conversation. Hooks go in
 * the worktree's `.claude/settings.local.json` (the per-checkout settings file Claude Code does not
 * expect to be committed); each hook gets its event as JSON on stdin with `hook_event_name`.
 */
import { withCrewHooks } from './hook-settings.js';
import { pointer, record, type AgentProfile, type HookReport, type Permissions } from './types.js';

const PERMISSION_FLAGS: Record<Permissions, string[]> = {
  ask: ['--permission-mode', 'default'],
  edits: ['--permission-mode', 'acceptEdits'],
  // Claude Code refuses this flag to root unless IS_SANDBOX=1: that is the user's call, not ours.
  full: ['--dangerously-skip-permissions'],
};

// Hooks run synchronously (an async one could land after the Stop that followed it), so each costs
// the agent a start of llm-crew: PreToolUse alone says a tool runs, PostToolUse would add nothing.
export const CLAUDE_HOOK_EVENTS = [
  'UserPromptSubmit',
  'PreToolUse',
  'PermissionRequest',
  'Notification',
  'Stop',
  'StopFailure',
];

function report(payload: unknown): HookReport | null {
  const p = record(payload);
  const event = String(p.hook_event_name ?? '');
  switch (event) {
    case 'UserPromptSubmit':
    case 'PreToolUse':
    case 'PostToolUse':
      return { state: 'working', event };
    case 'PermissionRequest':
      return { state: 'waiting-for-input', event };
    case 'Stop':
      return { state: 'idle-done', event };
    // The turn ended on an API error: nothing runs until someone answers.
    case 'StopFailure':
      return { state: 'waiting-for-input', event };
    case 'Notification': {
      const type = String(p.notification_type ?? '');
      const message = String(p.message ?? '');
      if (type === 'idle_prompt' || /waiting for your input/i.test(message))
        return { state: 'idle-done', event: `${event}:${type || 'idle'}` };
      if (type === 'permission_prompt' || type === 'elicitation_dialog' || /needs your/i.test(message))
        return { state: 'waiting-for-input', event: `${event}:${type || 'permission'}` };
      return null;
    }
    default:
      return null;
  }
}

export const claude: AgentProfile = {
  name: 'claude',
  program: 'claude',
  delivery: 'argument',
  hooks: 'all',
  hookPayload: 'stdin',
  screen: {
    working: [/esc to interrupt/i],
    waiting: [/Do you want to /i, /❯\s*1\.\s*Yes/],
    // The empty input line between its rules, with its footer (as drawn by 2.1.197).
    idle: [/\? for shortcuts/, /^❯\s*$/m],
  },
  launch: ({ argv, promptFile, resume, permissions, hook }) => ({
    argv: [
      ...argv,
      ...PERMISSION_FLAGS[permissions],
      ...(resume ? ['--continue'] : []),
      pointer(promptFile, resume),
    ],
    typed: null,
    env: {
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_AUTOUPDATER: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1',
    },
    files: [
      {
        path: '.claude/settings.local.json',
        update: (current) => withCrewHooks(current, CLAUDE_HOOK_EVENTS, hook),
      },
    ],
  }),
  hookReport: report,
};
