/**
 * The local tracker: SQLite in `.crew/tracker.db` through better-sqlite3 (v12, the line that runs
 * on Node 20). Several agents write at once: WAL lets readers run beside the one writer, the busy
 * timeout makes a writer wait for the lock instead of failing, and every read-modify-write runs in
 * a BEGIN IMMEDIATE transaction, which takes the write lock before reading so that two processes
 * cannot both read the old labels and each write back their own. The schema moves forward by
 * numbered migrations recorded in PRAGMA user_version.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { nowIso as now } from 'llm-scratch-core/clock';
import { UserError } from 'llm-scratch-core/errors';
import type { CrewEvent } from '../agents/types.js';
import { addEvent, listEvents } from './events.js';
import type {
  Comment,
  EventFilter,
  Issue,
  IssueFilter,
  IssuePatch,
  Label,
  Milestone,
  NewIssue,
  Tracker,
} from './types.js';

// Index i moves the schema from version i to i + 1. Never edit a shipped entry: append one.
export const MIGRATIONS: string[] = [
  `CREATE TABLE labels (
     name TEXT PRIMARY KEY,
     color TEXT NOT NULL,
     description TEXT NOT NULL DEFAULT ''
   );
   CREATE TABLE milestones (
     number INTEGER PRIMARY KEY AUTOINCREMENT,
     key TEXT UNIQUE,
     title TEXT NOT NULL UNIQUE,
     description TEXT NOT NULL DEFAULT '',
     due_on TEXT,
     state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed'))
   );
   CREATE TABLE issues (
     number INTEGER PRIMARY KEY AUTOINCREMENT,
     key TEXT UNIQUE,
     title TEXT NOT NULL,
     body TEXT NOT NULL DEFAULT '',
     milestone INTEGER REFERENCES milestones(number),
     state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     closed_at TEXT
   );
   CREATE TABLE issue_labels (
     issue INTEGER NOT NULL REFERENCES issues(number) ON DELETE CASCADE,
     label TEXT NOT NULL REFERENCES labels(name) ON UPDATE CASCADE,
     PRIMARY KEY (issue, label)
   );
   CREATE TABLE comments (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     issue INTEGER NOT NULL REFERENCES issues(number) ON DELETE CASCADE,
     author TEXT NOT NULL,
     body TEXT NOT NULL,
     created_at TEXT NOT NULL
   );
   CREATE INDEX comments_issue ON comments(issue);`,
  // 2: keyed comments, so that `issues comment --key K` can be repeated safely.
  `ALTER TABLE comments ADD COLUMN key TEXT;
   CREATE UNIQUE INDEX comments_key ON comments(issue, key) WHERE key IS NOT NULL;`,
  // 3: the runtime's event log (events.ts).
  `CREATE TABLE events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at TEXT NOT NULL,
     agent TEXT,
     kind TEXT NOT NULL,
     message TEXT NOT NULL,
     data TEXT
   );
   CREATE INDEX events_agent ON events(agent, id);`,
];

// Long enough for eight agents queueing behind each other's short transactions.
const BUSY_TIMEOUT_MS = 15_000;

interface IssueRow {
  number: number;
  key: string | null;
  title: string;
  body: string;
  milestone_title: string | null;
  state: 'open' | 'closed';
  created_at: string;
  updated_at: string;
  labels: string | null;
}

export function openDatabase(file: string): Database.Database {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (err) {
    throw new UserError(`${file}: cannot open the tracker database (${(err as Error).message})`);
  }
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('journal_mode = WAL');
  // NORMAL is durable in WAL mode except for the last transactions on a power loss, never corrupt.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  migrate(db, file);
  return db;
}

function migrate(db: Database.Database, file: string): void {
  const step = db.transaction(() => {
    // Read inside the write lock: a second process opening at the same moment waits, then sees
    // the new version and does nothing.
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length)
      throw new UserError(
        `${file}: tracker schema version ${version} is newer than this llm-crew (${MIGRATIONS.length}); update llm-crew`,
      );
    for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    if (version < MIGRATIONS.length) db.pragma(`user_version = ${MIGRATIONS.length}`);
  });
  step.immediate();
}

export class LocalTracker implements Tracker {
  readonly kind = 'local' as const;
  private readonly db: Database.Database;

  constructor(readonly where: string) {
    this.db = openDatabase(where);
  }

  async listLabels(): Promise<Label[]> {
    return this.db.prepare('SELECT name, color, description FROM labels ORDER BY name').all() as Label[];
  }

  async createLabel(l: Label): Promise<void> {
    this.db
      .prepare('INSERT INTO labels (name, color, description) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING')
      .run(l.name, l.color, l.description);
  }

  async updateLabel(name: string, l: Label): Promise<void> {
    this.db
      .prepare('UPDATE labels SET name = ?, color = ?, description = ? WHERE name = ?')
      .run(l.name, l.color, l.description, name);
  }

  async listMilestones(): Promise<Milestone[]> {
    return this.db
      .prepare(
        'SELECT number, key, title, description, due_on AS dueOn, state FROM milestones ORDER BY number',
      )
      .all() as Milestone[];
  }

  async createMilestone(m: Omit<Milestone, 'number' | 'state'>): Promise<Milestone> {
    // A concurrent sync may have made it a moment ago: keep theirs, return it.
    const tx = this.db.transaction(() => {
      this.db
        .prepare(
          'INSERT INTO milestones (key, title, description, due_on) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
        )
        .run(m.key, m.title, m.description, m.dueOn);
      return this.db
        .prepare(
          'SELECT number, key, title, description, due_on AS dueOn, state FROM milestones WHERE key IS ? OR title = ?',
        )
        .get(m.key, m.title) as Milestone;
    });
    return tx.immediate();
  }

  async updateMilestone(number: number, m: Omit<Milestone, 'number' | 'state'>): Promise<void> {
    this.db
      .prepare('UPDATE milestones SET key = ?, title = ?, description = ?, due_on = ? WHERE number = ?')
      .run(m.key, m.title, m.description, m.dueOn, number);
  }

  private selectIssues(where: string): string {
    return `SELECT i.number, i.key, i.title, i.body, m.title AS milestone_title, i.state,
              i.created_at, i.updated_at,
              (SELECT json_group_array(label) FROM (SELECT label FROM issue_labels WHERE issue = i.number ORDER BY label)) AS labels
            FROM issues i LEFT JOIN milestones m ON m.number = i.milestone ${where} ORDER BY i.number`;
  }

  private toIssue(r: IssueRow): Issue {
    return {
      number: r.number,
      key: r.key,
      title: r.title,
      body: r.body,
      labels: r.labels ? (JSON.parse(r.labels) as string[]) : [],
      milestone: r.milestone_title,
      state: r.state,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }

  async listIssues(filter: IssueFilter = {}): Promise<Issue[]> {
    const clauses: string[] = [];
    const params: unknown[] = [];
    const state = filter.state ?? 'open';
    if (state !== 'all') {
      clauses.push('i.state = ?');
      params.push(state);
    }
    if (filter.milestone !== undefined) {
      clauses.push('m.title = ?');
      params.push(filter.milestone);
    }
    for (const label of filter.label ?? []) {
      clauses.push('EXISTS (SELECT 1 FROM issue_labels l WHERE l.issue = i.number AND l.label = ?)');
      params.push(label);
    }
    const where = clauses.length ? `WHERE ${clauses.join(' AND ')}` : '';
    return (this.db.prepare(this.selectIssues(where)).all(...params) as IssueRow[]).map((r) =>
      this.toIssue(r),
    );
  }

  private get(number: number): Issue {
    const row = this.db.prepare(this.selectIssues('WHERE i.number = ?')).get(number) as IssueRow | undefined;
    if (!row) throw new UserError(`no issue #${number} in ${this.where}`);
    return this.toIssue(row);
  }

  async getIssue(number: number): Promise<Issue> {
    return this.get(number);
  }

  private ensureLabels(names: string[]): void {
    // GitHub creates a label on first use; so do we, grey, so both backends accept the same commands.
    const insert = this.db.prepare(
      "INSERT INTO labels (name, color, description) VALUES (?, 'ededed', '') ON CONFLICT (name) DO NOTHING",
    );
    for (const n of names) insert.run(n);
  }

  private setLabels(number: number, labels: string[]): void {
    this.ensureLabels(labels);
    this.db.prepare('DELETE FROM issue_labels WHERE issue = ?').run(number);
    const insert = this.db.prepare('INSERT OR IGNORE INTO issue_labels (issue, label) VALUES (?, ?)');
    for (const l of labels) insert.run(number, l);
  }

  async createIssue(issue: NewIssue): Promise<Issue> {
    const tx = this.db.transaction(() => {
      // Keyed issues are created once whoever asks: a second sync running beside the first finds it.
      if (issue.key !== null) {
        const found = this.db.prepare('SELECT number FROM issues WHERE key = ?').get(issue.key) as
          { number: number } | undefined;
        if (found) return this.get(found.number);
      }
      const t = now();
      const { lastInsertRowid } = this.db
        .prepare(
          'INSERT INTO issues (key, title, body, milestone, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(issue.key, issue.title, issue.body, issue.milestone, t, t);
      this.setLabels(Number(lastInsertRowid), issue.labels);
      return this.get(Number(lastInsertRowid));
    });
    return tx.immediate();
  }

  async updateIssue(number: number, patch: IssuePatch): Promise<Issue> {
    const tx = this.db.transaction(() => {
      const before = this.get(number);
      const sets: string[] = [];
      const params: unknown[] = [];
      const set = (column: string, value: unknown) => {
        sets.push(`${column} = ?`);
        params.push(value);
      };
      if (patch.title !== undefined) set('title', patch.title);
      if (patch.body !== undefined) set('body', patch.body);
      if (patch.milestone !== undefined) set('milestone', patch.milestone);
      if (patch.state !== undefined && patch.state !== before.state) {
        set('state', patch.state);
        set('closed_at', patch.state === 'closed' ? now() : null);
      }
      if (patch.labels !== undefined) this.setLabels(number, patch.labels);
      if (sets.length > 0 || patch.labels !== undefined) {
        set('updated_at', now());
        this.db.prepare(`UPDATE issues SET ${sets.join(', ')} WHERE number = ?`).run(...params, number);
      }
      return this.get(number);
    });
    return tx.immediate();
  }

  async editLabels(number: number, add: string[], remove: string[]): Promise<Issue> {
    const tx = this.db.transaction(() => {
      const before = this.get(number);
      const labels = [...new Set([...before.labels.filter((l) => !remove.includes(l)), ...add])];
      if (labels.length !== before.labels.length || labels.some((l) => !before.labels.includes(l))) {
        this.setLabels(number, labels);
        this.db.prepare('UPDATE issues SET updated_at = ? WHERE number = ?').run(now(), number);
      }
      return this.get(number);
    });
    return tx.immediate();
  }

  async addComment(
    number: number,
    body: string,
    author = 'local',
    key: string | null = null,
  ): Promise<Comment> {
    const select = 'SELECT id, key, author, body, created_at AS createdAt FROM comments';
    const tx = this.db.transaction(() => {
      this.get(number);
      if (key !== null) {
        const found = this.db.prepare(`${select} WHERE issue = ? AND key = ?`).get(number, key) as
          Comment | undefined;
        if (found) return found;
      }
      const t = now();
      const { lastInsertRowid } = this.db
        .prepare('INSERT INTO comments (issue, key, author, body, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(number, key, author, body, t);
      this.db.prepare('UPDATE issues SET updated_at = ? WHERE number = ?').run(t, number);
      return { id: Number(lastInsertRowid), key, author, body, createdAt: t };
    });
    return tx.immediate();
  }

  async listComments(number: number): Promise<Comment[]> {
    this.get(number);
    return this.db
      .prepare(
        'SELECT id, key, author, body, created_at AS createdAt FROM comments WHERE issue = ? ORDER BY id',
      )
      .all(number) as Comment[];
  }

  async addEvent(e: Omit<CrewEvent, 'id' | 'at'>): Promise<CrewEvent> {
    return addEvent(this.db, e);
  }

  async listEvents(filter?: EventFilter): Promise<CrewEvent[]> {
    return listEvents(this.db, filter);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
