/**
 * What the crew's runtime knows about its agents: the shapes shared by `llm-crew status`, the
 * supervisor (which records events) and the dashboard and report (which read them).
 */

import type { AgentState } from './hooks/state.js';

export type SessionState = 'running' | 'exited' | 'missing' | 'foreign';

export interface AgentStatus {
  agent: string;
  /** The tmux session name from the plan (`llm-foundation`, ...). */
  session: string;
  /**
   * running: the agent's process is alive in its pane; exited: the pane's process ended; missing: no
   * session; foreign: a session of its name that this crew did not start (left alone).
   */
  state: SessionState;
  pid: number | null;
  /** Seconds since the pane's output last changed; null when unknown. */
  idleSeconds: number | null;
  /** working, waiting-for-input, idle-done, exited or hung (hooks/state.ts); null without a session. */
  activity: AgentState | null;
  /** The agent asks its user something (activity is waiting-for-input). */
  waitingForInput: boolean;
  /** The open issue the agent is on (assigned to it and labelled in progress), if any. */
  issue: { number: number; title: string } | null;
  branch: string | null;
  worktree: string | null;
  /** Commits on the agent's branch that main does not have. */
  ahead: number | null;
  lastCommit: { sha: string; subject: string; ageSeconds: number } | null;
  /** Files with uncommitted changes in the agent's worktree. */
  dirtyFiles: number;
  restarts: number;
}

/** Kinds of events the runtime records in the tracker. */
export type CrewEventKind =
  | 'up'
  | 'down'
  | 'start'
  | 'exit'
  | 'silent'
  | 'restart'
  | 'gave-up'
  | 'foreign'
  | 'test'
  | 'merge'
  | 'conflict'
  /** A report from the agent program's own hooks (`llm-crew hook`): data.state, data.program, data.event. */
  | 'hook'
  /** The supervisor's verdict on an agent's state when it changes: data.state, data.source. */
  | 'state'
  // An acceptance check's result (checks.ts), and an issue closed because its check passed.
  | 'check'
  | 'close';

export interface CrewEvent {
  id: number;
  /** ISO 8601 time. */
  at: string;
  /** The agent it concerns, or null for the crew as a whole. */
  agent: string | null;
  kind: CrewEventKind;
  message: string;
  /** Structured detail (a test result's counts, a restart's attempt and delay, ...). */
  data: Record<string, unknown> | null;
}
