/**
 * An agent profile: how one coding-agent program is started (prompt delivery, resume, permission
 * flags, offline variables), how it reports its state through its own hooks, and what its screen
 * looks like when the hooks say nothing. crew.yaml names the profile per agent (`program:`).
 */

export const PROGRAMS = ['claude', 'codex', 'gemini', 'opencode', 'aider', 'plain'] as const;
export type ProgramName = (typeof PROGRAMS)[number];

/** ask: the program's own default (it asks before acting); edits: file edits allowed; full: no questions. */
export const PERMISSIONS = ['ask', 'edits', 'full'] as const;
export type Permissions = (typeof PERMISSIONS)[number];

export type PromptDelivery = 'argument' | 'file' | 'typed';

/** What a hook can tell: the program's turn is running, it asks the user, or its turn ended. */
export type HookState = 'working' | 'waiting-for-input' | 'idle-done';

export interface LaunchInput {
  /** The agent's command as an argument list (crew.yaml's command, or the profile's program). */
  argv: string[];
  /** The prompt's file (the brief, or the recovery brief on a restart). */
  promptFile: string;
  prompt: string;
  /** A restart: resume the agent's last conversation where the program can. */
  resume: boolean;
  permissions: Permissions;
  /** The command that runs `llm-crew hook <program>`, as an argument list. */
  hook: string[];
}

/** A file the profile writes in the agent's directory before it starts (hook settings). */
export interface ProfileFile {
  /** Relative to the agent's directory. */
  path: string;
  /** The file's new text from its current text (null: it does not exist). */
  update(current: string | null): string;
}

export interface Launch {
  argv: string[];
  /** Typed into the session (bracketed paste + Enter) once it runs, or null. */
  typed: string | null;
  /** Variables for the program: telemetry and update checks off. */
  env: Record<string, string>;
  files: ProfileFile[];
}

export interface HookReport {
  state: HookState;
  /** The program's own name of the event (Stop, agent-turn-complete, ...). */
  event: string;
}

export interface ScreenPatterns {
  /** The program is busy (a spinner's caption): never waiting, whatever else shows. */
  working: RegExp[];
  /** A question to the user: a permission prompt, a confirmation. */
  waiting: RegExp[];
  /** The program's empty input prompt: its turn is over. */
  idle: RegExp[];
}

export interface AgentProfile {
  name: ProgramName;
  /** The program run when crew.yaml gives no command; null: the command is required. */
  program: string | null;
  delivery: PromptDelivery;
  /**
   * all: the hooks report working as well as the turn's end, so they are the state while the
   * program runs; turn-end: they report only the end (codex notify, aider), and output printed
   * after it means the program works again; none: the screen alone.
   */
  hooks: 'all' | 'turn-end' | 'none';
  /** Where the hook command finds its payload: JSON on stdin, JSON (or a word) as its argument, or none. */
  hookPayload: 'stdin' | 'argument' | 'none';
  screen: ScreenPatterns;
  launch(input: LaunchInput): Launch;
  /** What a hook's payload (parsed JSON, or null without one) says, or null when it says nothing about state. */
  hookReport(payload: unknown): HookReport | null;
}

// A short pointer rather than the brief itself: a brief runs to pages, and an argument list passes
// through tmux's command message, which is limited to about 16 KB.
export const pointer = (file: string, resume: boolean) =>
  resume
    ? `You were restarted. Read ${file}: it says what you were doing; carry on from there.`
    : `Read your brief in ${file} and follow it.`;

/** A word for a POSIX shell: hook commands in settings files run through `sh -c`. */
export const shellWord = (w: string) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`);

export const record = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** Questions every terminal program asks the same way. */
export const GENERIC_WAITING = [/\(y\/n\)\s*$/im, /\[y\/n\]\s*$/im, /press enter to continue/i];
