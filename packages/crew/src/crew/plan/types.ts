/**
 * The plan: what `crew.yaml` holds once validated (schema.ts). One typed object is the single
 * source of the documents (documents.ts) and of the tracker's labels, milestones and issues
 * (desired.ts); docs/crew-plan-and-tracker.md describes every field.
 */

import type { Permissions, ProgramName } from '../agents/profiles/types.js';

export const PLAN_VERSION = 1;

export type TrackerKind = 'local' | 'github';

export interface Project {
  name: string;
  /** OWNER/NAME on GitHub; null: taken from the git remote when the github tracker is used. */
  repo: string | null;
  tracker: TrackerKind;
  /** Day 0 of the plan (YYYY-MM-DD); milestones are due `day` days later. Null: no due dates. */
  start: string | null;
  /** Where the user's own templates live, relative to crew.yaml; null: the built-in ones. */
  templates: string | null;
  /**
   * How the project runs a test, declared once (`init` detects it from the stack: stack.ts).
   * `{module}` and `{module_snake}` stand for a task's module; the tasks' `accept` commands are
   * written from it. Null: the plan names each acceptance command itself.
   */
  test_command: string | null;
}

export interface BookRef {
  /** The PDF, relative to crew.yaml (informational). */
  file: string | null;
  /** structure.json from `llm-crew book analyze --out` or `book split`, relative to crew.yaml. */
  structure: string;
  /** The directory written by `llm-crew book split`, relative to crew.yaml; null: none yet. */
  chunks: string | null;
}

export interface Agent {
  id: string;
  role: string;
  /** tmux session name. */
  session: string;
  /** Chapter numbers as printed in the book ("1", "A"). */
  chapters: string[];
  /** Files or modules the agent writes. */
  modules: string[];
  /** The agent program's profile: how it is started, resumed and watched (agents/profiles). */
  program: ProgramName;
  /** What the program may do without asking: its own default, file edits, or everything. */
  permissions: Permissions;
  /** The command that starts the agent (run through an argument list, split on spaces). */
  command: string;
  /** A brief template of its own, relative to crew.yaml; null: the default brief. */
  brief: string | null;
}

export interface Deliverable {
  /** Stable within its milestone: the tracker key of its issue is task/<milestone>/<id>. */
  id: string;
  title: string;
  /** Chapter or section numbers ("2", "2.3") the work comes from. */
  sections: string[];
  module: string | null;
  /** The acceptance check: the task closes when it passes on the merged result. Null: closed by hand. */
  accept: string | null;
}

export interface Milestone {
  id: string;
  title: string;
  /** An agent id, or `coordinator`. */
  owner: string;
  deliverables: Deliverable[];
  /** Milestone ids this one waits for. */
  depends: string[];
  /** Planned day, counted from project.start. */
  day: number;
}

/** An executable contract between two agents: `test` passes once the interface works. */
export interface IntegrationPoint {
  id: string;
  from: string;
  to: string;
  module: string;
  interface: string;
  day: number;
  test: string;
  /** The milestone its issue goes in; null: the coordinator's milestone, else the `from` agent's. */
  milestone: string | null;
}

export interface LabelSpec {
  name: string;
  color: string;
  description: string;
}

/** What a notify hook hears about (docs/crew-plan-and-tracker.md). */
export const NOTIFY_EVENTS = ['waiting-for-input', 'blocked', 'check-red'] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** A hook run when an agent waits for input, is blocked, or a check turns red: a command or a local webhook. */
export interface NotifyHook {
  /** Run without a shell, the event as JSON on its stdin. */
  command: string | null;
  /** POSTed the event as JSON; only http(s) on 127.0.0.1, ::1 or localhost. */
  url: string | null;
  events: NotifyEvent[];
}

export interface Plan {
  version: typeof PLAN_VERSION;
  project: Project;
  book: BookRef;
  agents: Agent[];
  milestones: Milestone[];
  integration: IntegrationPoint[];
  /** Labels beyond the ones every plan gets (agent-N-ID, milestone-N, blocked, ...). */
  labels: LabelSpec[];
  notify: NotifyHook[];
}
