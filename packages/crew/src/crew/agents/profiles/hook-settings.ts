/**
 * Hook settings in the JSON shape Claude Code and Gemini CLI share:
 * `{"hooks": {"Event": [{"hooks": [{"type": "command", "command": "..."}]}]}}`.
 * The crew's entries are added to the user's own settings, replacing earlier crew entries only.
 */
import { record, shellWord } from './types.js';

interface HookGroup {
  hooks: { type: 'command'; command: string }[];
}

const isCrewGroup = (g: unknown, marker: string) =>
  Array.isArray(record(g).hooks) &&
  (record(g).hooks as unknown[]).some((h) => String(record(h).command ?? '').includes(marker));

export function withCrewHooks(current: string | null, events: string[], hook: string[]): string {
  let settings: Record<string, unknown> = {};
  if (current !== null && current.trim() !== '') {
    try {
      settings = record(JSON.parse(current));
    } catch (err) {
      throw new Error(`not JSON (${(err as Error).message}); fix or remove it`);
    }
  }
  const command = hook.map(shellWord).join(' ');
  // The hook's subcommand and program identify the crew's entries across restarts and moves.
  const marker = hook.slice(-2).join(' ');
  const hooks = { ...record(settings.hooks) };
  for (const event of events) {
    const own = Array.isArray(hooks[event]) ? (hooks[event] as unknown[]) : [];
    // No matcher: every tool, every event (both programs read a missing matcher as "all").
    const group: HookGroup = { hooks: [{ type: 'command', command }] };
    hooks[event] = [...own.filter((g) => !isCrewGroup(g, marker)), group];
  }
  return JSON.stringify({ ...settings, hooks }, null, 2) + '\n';
}
