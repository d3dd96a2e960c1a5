/**
 * From a hook's payload to the tracker event `llm-crew hook` records, and back: the latest report
 * of an agent's hooks since its program (re)started, for the state machine.
 */
import { now } from 'llm-scratch-core/clock';
import { UserError } from 'llm-scratch-core/errors';
import type { Tracker } from '../../tracker/index.js';
import { PROGRAMS, profileNamed, type HookState, type ProgramName } from '../profiles/index.js';
import type { CrewEvent } from '../types.js';

export interface HookEvent {
  agent: string;
  kind: 'hook';
  message: string;
  data: { state: HookState; program: ProgramName; event: string };
}

function parsePayload(program: ProgramName, raw: string): unknown {
  const text = raw.trim();
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    // `llm-crew hook plain working`: a script's own report is a bare word.
    if (program === 'plain') return text;
    throw new UserError(`hook ${program}: the payload is not JSON (${(err as Error).message})`);
  }
}

/** The event a hook's payload makes, or null when the payload says nothing about the agent's state. */
export function hookEvent(program: string, agent: string, raw: string): HookEvent | null {
  if (!(PROGRAMS as readonly string[]).includes(program))
    throw new UserError(`hook: unknown program '${program}' (programs: ${PROGRAMS.join(', ')})`);
  const name = program as ProgramName;
  const report = profileNamed(name).hookReport(parsePayload(name, raw));
  if (!report) return null;
  return {
    agent,
    kind: 'hook',
    message: `${report.state} (${name} ${report.event})`,
    data: { state: report.state, program: name, event: report.event },
  };
}

const isHookState = (s: unknown): s is HookState =>
  s === 'working' || s === 'waiting-for-input' || s === 'idle-done';

/** The agent's latest hook report since its last start or restart, with its time in seconds. */
export async function latestHook(
  tracker: Tracker,
  agent: string,
): Promise<{ state: HookState; atS: number } | null> {
  const [hooks, starts, restarts] = await Promise.all([
    tracker.listEvents({ agent, kind: 'hook', limit: 1 }),
    tracker.listEvents({ agent, kind: 'start', limit: 1 }),
    tracker.listEvents({ agent, kind: 'restart', limit: 1 }),
  ]);
  const hook: CrewEvent | undefined = hooks[0];
  if (!hook || !isHookState(hook.data?.state)) return null;
  // A report from before the program's last (re)start describes a process that is gone.
  const startedAt = Math.max(0, ...[...starts, ...restarts].map((e) => e.id));
  if (hook.id < startedAt) return null;
  // Event times are on the project's clock (src/clock.ts), pane activity on the system's.
  const skewMs = now().getTime() - Date.now();
  return { state: hook.data.state, atS: (Date.parse(hook.at) - skewMs) / 1000 };
}
