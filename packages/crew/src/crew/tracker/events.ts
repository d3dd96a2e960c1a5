/**
 * The crew's event log (up, restarts, test results, ...) in SQLite: the table comes with the local
 * tracker's migration 3, so both trackers store events the same way. The local tracker keeps them
 * in its own database; the GitHub tracker in a database file of its own beside the plan, since an
 * event is machine state that does not belong in the repository's issues.
 */
import type Database from 'better-sqlite3';
import { nowIso } from 'llm-scratch-core/clock';
import type { CrewEvent, CrewEventKind } from '../agents/types.js';
import type { EventFilter } from './types.js';

interface EventRow {
  id: number;
  at: string;
  agent: string | null;
  kind: CrewEventKind;
  message: string;
  data: string | null;
}

const toEvent = (r: EventRow): CrewEvent => ({
  ...r,
  data: r.data === null ? null : (JSON.parse(r.data) as Record<string, unknown>),
});

export function addEvent(db: Database.Database, e: Omit<CrewEvent, 'id' | 'at'>): CrewEvent {
  const at = nowIso();
  const data = e.data === null || e.data === undefined ? null : JSON.stringify(e.data);
  const { lastInsertRowid } = db
    .prepare('INSERT INTO events (at, agent, kind, message, data) VALUES (?, ?, ?, ?, ?)')
    .run(at, e.agent, e.kind, e.message, data);
  return {
    id: Number(lastInsertRowid),
    at,
    agent: e.agent,
    kind: e.kind,
    message: e.message,
    data: e.data ?? null,
  };
}

/** Oldest first; with a limit, the most recent `limit` events (still oldest first). */
export function listEvents(db: Database.Database, filter: EventFilter = {}): CrewEvent[] {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (filter.since !== undefined) {
    clauses.push('at >= ?');
    params.push(filter.since);
  }
  if (filter.agent !== undefined) {
    clauses.push('agent = ?');
    params.push(filter.agent);
  }
  if (filter.kind !== undefined) {
    clauses.push('kind = ?');
    params.push(filter.kind);
  }
  const where = clauses.length ? `WHERE ${clauses.join(' AND ')}` : '';
  const limit = filter.limit !== undefined ? `LIMIT ${Math.max(0, Math.floor(filter.limit))}` : '';
  const rows = db
    .prepare(`SELECT id, at, agent, kind, message, data FROM events ${where} ORDER BY id DESC ${limit}`)
    .all(...params) as EventRow[];
  return rows.reverse().map(toEvent);
}
