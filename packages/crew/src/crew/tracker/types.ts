import type { CrewEvent, CrewEventKind } from '../agents/types.js';

/**
 * The tracker: one small interface with two backends, `local` (SQLite, the default) and `github`.
 * Commands and the sync see only this, so agents and the coordinator use one command set whichever
 * backend holds the state. Objects the plan made carry a stable `key`; the sync matches on it.
 */

export interface Label {
  name: string;
  color: string;
  description: string;
}

export interface Milestone {
  number: number;
  key: string | null;
  title: string;
  description: string;
  dueOn: string | null;
  state: 'open' | 'closed';
}

export interface Issue {
  number: number;
  key: string | null;
  title: string;
  body: string;
  labels: string[];
  /** The milestone's title, or null. */
  milestone: string | null;
  state: 'open' | 'closed';
  createdAt: string;
  updatedAt: string;
}

export interface Comment {
  id: number;
  /** Set with `issues comment --key K`: a second comment with the same key on the issue is not made. */
  key: string | null;
  author: string;
  body: string;
  createdAt: string;
}

export interface NewIssue {
  key: string | null;
  title: string;
  body: string;
  labels: string[];
  /** Milestone number. */
  milestone: number | null;
}

export interface IssuePatch {
  title?: string;
  body?: string;
  labels?: string[];
  milestone?: number | null;
  state?: 'open' | 'closed';
}

export interface IssueFilter {
  state?: 'open' | 'closed' | 'all';
  label?: string[];
  /** Milestone title. */
  milestone?: string;
}

export interface EventFilter {
  /** ISO time: events at or after it. */
  since?: string;
  agent?: string;
  kind?: CrewEventKind;
  /** The most recent N. */
  limit?: number;
}

export interface Tracker {
  readonly kind: 'local' | 'github';
  /** Where the state lives, for messages: a file path or OWNER/NAME. */
  readonly where: string;
  listLabels(): Promise<Label[]>;
  createLabel(label: Label): Promise<void>;
  updateLabel(name: string, label: Label): Promise<void>;
  listMilestones(): Promise<Milestone[]>;
  createMilestone(m: Omit<Milestone, 'number' | 'state'>): Promise<Milestone>;
  updateMilestone(number: number, m: Omit<Milestone, 'number' | 'state'>): Promise<void>;
  listIssues(filter?: IssueFilter): Promise<Issue[]>;
  getIssue(number: number): Promise<Issue>;
  createIssue(issue: NewIssue): Promise<Issue>;
  updateIssue(number: number, patch: IssuePatch): Promise<Issue>;
  /** Adds and removes labels in one step that no concurrent writer can interleave with (local) or in as few calls as the API allows (github). */
  editLabels(number: number, add: string[], remove: string[]): Promise<Issue>;
  /** With a key, returns the issue's comment of that key when there is one instead of adding another. */
  addComment(number: number, body: string, author?: string, key?: string | null): Promise<Comment>;
  listComments(number: number): Promise<Comment[]>;
  /** The runtime's event log (docs/crew-agents.md): what the supervisor, `up`, `down` and `test` did. */
  addEvent(e: Omit<CrewEvent, 'id' | 'at'>): Promise<CrewEvent>;
  /** Oldest first. */
  listEvents(filter?: EventFilter): Promise<CrewEvent[]>;
  close(): Promise<void>;
}
