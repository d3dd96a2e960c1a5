/**
 * Words and short figures for the dashboard, shared by the terminal and the web view so that both
 * say the same thing about an agent, a test run or an age.
 */
import type { CrewEvent } from '../agents/types.js';
import type { AgentRow } from './snapshot.js';

/** 42s, 5m, 3h, 2d. */
export function age(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '-';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

export const ageSince = (iso: string, now: string) => age((Date.parse(now) - Date.parse(iso)) / 1000);

export type Tone = 'good' | 'warn' | 'bad' | 'dim';

/** What an agent is doing, in a few words, and how worrying that is. */
export function agentState(a: AgentRow): { text: string; tone: Tone } {
  if (a.state === 'missing') return { text: 'no session', tone: 'dim' };
  if (a.state === 'foreign') return { text: 'foreign session', tone: 'bad' };
  if (a.state === 'exited') return { text: 'exited', tone: 'bad' };
  if (a.activity === 'hung') return { text: 'hung', tone: 'bad' };
  if (a.waitingForInput) return { text: 'waiting for input', tone: 'warn' };
  if (a.blocked > 0) return { text: 'blocked', tone: 'warn' };
  if (a.activity === 'idle-done') return { text: 'done, idle', tone: 'dim' };
  return { text: a.activity ?? 'running', tone: 'good' };
}

/** `[#####-----]` for closed of total. */
export function bar(done: number, total: number, width = 10): string {
  const filled = total === 0 ? 0 : Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/**
 * A test event's verdict. `llm-crew test` records counts (`passed`, `failed`, `conflicts`): green
 * when nothing failed or conflicted; an `ok` boolean, when an event has one, says it outright.
 */
export function testVerdict(e: CrewEvent): { text: string; tone: Tone } {
  const d = e.data ?? {};
  const num = (k: string) => (typeof d[k] === 'number' ? (d[k] as number) : null);
  const failed = num('failed');
  const ok = typeof d.ok === 'boolean' ? d.ok : failed !== null ? failed === 0 && !num('conflicts') : null;
  if (ok === null) return { text: e.message, tone: 'dim' };
  return { text: `${ok ? 'green' : 'red'}: ${e.message}`, tone: ok ? 'good' : 'bad' };
}

/** Each integration point's status in a test event (`data.perIntegrationPoint`), in the event's order. */
export function testPoints(e: CrewEvent): { id: string; status: string }[] {
  const per = e.data?.perIntegrationPoint;
  if (!per || typeof per !== 'object') return [];
  return Object.entries(per as Record<string, { status?: unknown }>).map(([id, p]) => ({
    id,
    status: typeof p?.status === 'string' ? p.status : 'unknown',
  }));
}

export const shortSha = (sha: string) => sha.slice(0, 7);

/** "3/5" checks passing, or "-" for none planned. */
export const checksText = (t: { passing: number; total: number }) =>
  t.total === 0 ? '-' : `${t.passing}/${t.total}`;

export function checkTone(status: string | null): Tone | undefined {
  return status === 'passed' ? 'good' : status === null ? 'dim' : 'bad';
}
