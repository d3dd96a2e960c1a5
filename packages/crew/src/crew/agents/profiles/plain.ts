/**
 * Any other program (a script, a wrapper): it reads its brief from the file named in CREW_BRIEF (a
 * recovery brief on restart in CREW_RECOVERY), is typed nothing and has no permission flags. It can
 * report its own state by running `llm-crew hook plain STATE`.
 */
import { GENERIC_WAITING, record, type AgentProfile, type HookState } from './types.js';

const STATES: HookState[] = ['working', 'waiting-for-input', 'idle-done'];

export const plain: AgentProfile = {
  name: 'plain',
  program: null,
  delivery: 'file',
  hooks: 'all',
  hookPayload: 'argument',
  screen: { working: [], waiting: GENERIC_WAITING, idle: [] },
  launch: ({ argv }) => ({ argv, typed: null, env: {}, files: [] }),
  hookReport: (payload) => {
    const state = typeof payload === 'string' ? payload : record(payload).state;
    return STATES.includes(state as HookState) ? { state: state as HookState, event: 'plain' } : null;
  },
};
