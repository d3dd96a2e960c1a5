/**
 * The agent profiles by name, as crew.yaml's `program:` names them, and what an agent's screen
 * says when its hooks say nothing.
 */
import { aider } from './aider.js';
import { claude } from './claude.js';
import { codex } from './codex.js';
import { gemini } from './gemini.js';
import { opencode } from './opencode.js';
import { plain } from './plain.js';
import type { AgentProfile, ProgramName } from './types.js';

export * from './types.js';

export const PROFILES: Record<ProgramName, AgentProfile> = { claude, codex, gemini, opencode, aider, plain };

export function profileNamed(name: string): AgentProfile {
  const profile = PROFILES[name as ProgramName];
  // crew.yaml's schema lists the names: an unknown one is a plan written by another version.
  if (!profile) throw new Error(`no agent profile '${name}' (profiles: ${Object.keys(PROFILES).join(', ')})`);
  return profile;
}

export type ScreenVerdict = 'working' | 'waiting-for-input' | 'idle-done' | 'unknown';

/** What the last lines of a pane show: busy, a question, the empty input prompt, or nothing known. */
export function readScreen(profile: AgentProfile, screen: string): ScreenVerdict {
  const tail = screen.replace(/\s+$/, '').split('\n').slice(-8).join('\n');
  if (tail === '') return 'unknown';
  const any = (res: RegExp[]) => res.some((re) => re.test(tail));
  if (any(profile.screen.working)) return 'working';
  if (any(profile.screen.waiting)) return 'waiting-for-input';
  if (any(profile.screen.idle)) return 'idle-done';
  return 'unknown';
}
