/**
 * An agent's state from what the crew can see: the pane (alive or dead, when it last printed), the
 * latest report of the program's own hooks, and the screen as the fallback. Only `exited` and
 * `hung` are grounds for a restart: a finished agent (`idle-done`) or one asking its user
 * (`waiting-for-input`) is left alone however long it stays quiet.
 */
import { readScreen, type AgentProfile, type HookState } from '../profiles/index.js';

// Agents think for minutes without printing; ten minutes of silence is a hang, not thought.
export const DEFAULT_SILENT_AFTER_S = 600;
export const DEFAULT_DEBOUNCE_S = 3;

export const AGENT_STATES = ['working', 'waiting-for-input', 'idle-done', 'exited', 'hung'] as const;
export type AgentState = (typeof AGENT_STATES)[number];

export interface StateInput {
  profile: AgentProfile;
  /** The pane's process ended. */
  dead: boolean;
  /** Now, in seconds since the epoch. */
  nowS: number;
  /** When the pane last printed (seconds since the epoch), or null. */
  lastOutputS: number | null;
  /** The pane's visible text (empty when unknown). */
  screen: string;
  /** The latest hook report since the program started, or null. */
  hook: { state: HookState; atS: number } | null;
  /** Seconds without output or hook before a working agent counts as hung. */
  silentAfterS: number;
  /** Seconds a screen must stay unchanged before its prompt counts: a redraw is not a question. */
  debounceS: number;
}

export interface StateVerdict {
  state: AgentState;
  /** What decided it. */
  source: 'pane' | 'hook' | 'screen';
}

export function agentState(i: StateInput): StateVerdict {
  if (i.dead) return { state: 'exited', source: 'pane' };
  const lastSign = Math.max(i.lastOutputS ?? 0, i.hook?.atS ?? 0);
  const silentS = lastSign > 0 ? i.nowS - lastSign : 0;
  const hung = silentS > i.silentAfterS;
  // A program that reports only the ends of its turns works again once it prints after one; the
  // debounce absorbs the redraw that follows the report itself.
  const hookHolds =
    i.hook !== null &&
    i.profile.hooks !== 'none' &&
    (i.profile.hooks === 'all' || i.lastOutputS === null || i.lastOutputS <= i.hook.atS + i.debounceS);
  if (hookHolds) {
    const state = i.hook!.state;
    if (state === 'working') return { state: hung ? 'hung' : 'working', source: 'hook' };
    return { state, source: 'hook' };
  }
  const quietS = i.lastOutputS === null ? 0 : i.nowS - i.lastOutputS;
  const seen = readScreen(i.profile, i.screen);
  if (quietS >= i.debounceS && (seen === 'waiting-for-input' || seen === 'idle-done'))
    return { state: seen, source: 'screen' };
  return { state: hung ? 'hung' : 'working', source: 'screen' };
}
