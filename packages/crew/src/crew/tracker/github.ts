/**
 * The GitHub tracker: @octokit/rest with the throttling plugin (waits out primary and secondary
 * rate limits, retry-after honoured, writes spaced as GitHub asks) and the retry plugin (5xx and
 * network errors retried with backoff). Keys live in the text itself, as an HTML comment at the end
 * of an issue body or milestone description, so the repository alone holds the state. The token is
 * passed to Octokit and nowhere else: errors are rebuilt from status and message only.
 */
import { createRequire } from 'node:module';
import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import type Database from 'better-sqlite3';
import { UserError } from 'llm-scratch-core/errors';
import type { CrewEvent } from '../agents/types.js';
import { addEvent, listEvents } from './events.js';
import { openDatabase } from './local.js';
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

const CrewOctokit = Octokit.plugin(throttling, retry);

// Bottleneck is the throttling plugin's own dependency; resolving it from there keeps its version.
interface BottleneckGroupCtor {
  Group: new (options: { maxConcurrent?: number; minTime?: number; id?: string }) => unknown;
}
const Bottleneck = createRequire(createRequire(import.meta.url).resolve('@octokit/plugin-throttling'))(
  'bottleneck/light.js',
) as BottleneckGroupCtor;

const KEY = /\n*<!-- llm-crew:key=([^ ]+) -->\s*$/;

export function withKey(text: string, key: string | null): string {
  return key === null ? text : `${text.replace(/\s+$/, '')}\n\n<!-- llm-crew:key=${key} -->\n`;
}

export function splitKey(text: string | null | undefined): { text: string; key: string | null } {
  const t = text ?? '';
  const m = KEY.exec(t);
  return m ? { text: t.slice(0, m.index) + '\n', key: m[1]! } : { text: t, key: null };
}

export interface GitHubOptions {
  token: string;
  /** OWNER/NAME. */
  repo: string;
  /** API root; GITHUB_API_URL in Actions and on GitHub Enterprise. */
  baseUrl?: string;
  /** Least time between two writes (three times that for issues and comments); GitHub asks for about a second. Tests set 0. */
  writeIntervalMs?: number;
  /** Multiplies retry-after and backoff delays (1000 = seconds as given). Tests set it small. */
  retryScaleMs?: number;
  log?: (message: string) => void;
  /** The SQLite file that holds the runtime's events (opened on first use); default .crew/events.db. */
  eventsDb?: string;
}

interface GhIssue {
  number: number;
  title: string;
  body?: string | null;
  labels: (string | { name?: string })[];
  milestone: { title: string } | null;
  state: string;
  created_at: string;
  updated_at: string;
  pull_request?: unknown;
}

interface GhMilestone {
  number: number;
  title: string;
  description: string | null;
  due_on: string | null;
  state: string;
}

function toIssue(i: GhIssue): Issue {
  const { text, key } = splitKey(i.body);
  return {
    number: i.number,
    key,
    title: i.title,
    body: text,
    labels: i.labels.map((l) => (typeof l === 'string' ? l : (l.name ?? ''))).sort(),
    milestone: i.milestone?.title ?? null,
    state: i.state === 'closed' ? 'closed' : 'open',
    createdAt: i.created_at,
    updatedAt: i.updated_at,
  };
}

function toMilestone(m: GhMilestone): Milestone {
  const { text, key } = splitKey(m.description);
  return {
    number: m.number,
    key,
    title: m.title,
    description: text.replace(/\n$/, ''),
    dueOn: m.due_on,
    state: m.state === 'closed' ? 'closed' : 'open',
  };
}

function isAlreadyExists(err: unknown): boolean {
  const e = err as { status?: number; response?: { data?: { errors?: { code?: string }[] } } };
  return e.status === 422 && (e.response?.data?.errors ?? []).some((x) => x.code === 'already_exists');
}

export class GitHubTracker implements Tracker {
  readonly kind = 'github' as const;
  readonly where: string;
  private readonly octokit: InstanceType<typeof CrewOctokit>;
  private readonly owner: string;
  private readonly name: string;
  private readonly eventsFile: string;
  private eventsDbHandle: Database.Database | null = null;

  constructor(options: GitHubOptions) {
    const [owner, name] = options.repo.split('/');
    if (!owner || !name) throw new UserError(`GitHub repository '${options.repo}' is not OWNER/NAME`);
    this.owner = owner;
    this.name = name;
    this.where = options.repo;
    this.eventsFile = options.eventsDb ?? '.crew/events.db';
    const log = options.log ?? (() => {});
    const scale = options.retryScaleMs ?? 1000;
    const writeMs = options.writeIntervalMs ?? 1000;
    const onLimit =
      (kind: string) => (after: number, req: { method: string; url: string }, _o: unknown, count: number) => {
        log(`GitHub ${kind} rate limit on ${req.method} ${req.url}; retry ${count + 1} in ${after} s`);
        return count < 3;
      };
    this.octokit = new CrewOctokit({
      auth: options.token,
      baseUrl: options.baseUrl ?? 'https://api.github.com',
      userAgent: 'llm-crew',
      // Octokit's own logger would print request details on warnings; route warnings through ours.
      log: { debug: () => {}, info: () => {}, warn: (m: string) => log(m), error: (m: string) => log(m) },
      throttle: {
        onRateLimit: onLimit('primary'),
        onSecondaryRateLimit: onLimit('secondary'),
        retryAfterBaseValue: scale,
        // GitHub asks for a second between writes, and more between writes that notify people
        // (issues, comments): the plugin's 1 s and 3 s, scaled together.
        write: new Bottleneck.Group({ maxConcurrent: 1, minTime: writeMs }) as never,
        notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: 3 * writeMs }) as never,
      },
      retry: { retries: 3, retryAfterBaseValue: scale },
    });
  }

  private get repo() {
    return { owner: this.owner, repo: this.name };
  }

  /** Runs an API call, turning its failure into one line without request details (or the token). */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const e = err as { status?: number; message?: string };
      if (e.status === undefined)
        throw new UserError(`GitHub ${what}: ${(e.message ?? String(err)).split('\n')[0]}`);
      const hint =
        e.status === 401
          ? ' (the token is invalid or expired)'
          : e.status === 404
            ? ` (no repository ${this.where}, or the token cannot see it)`
            : e.status === 403
              ? ' (the token lacks permission, or the rate limit is spent)'
              : '';
      const error = new UserError(`GitHub ${what}: ${e.status} ${(e.message ?? '').split('\n')[0]}${hint}`);
      (error as { status?: number }).status = e.status;
      (error as { cause?: unknown }).cause = {
        status: e.status,
        response: (err as { response?: unknown }).response,
      };
      throw error;
    }
  }

  async listLabels(): Promise<Label[]> {
    const labels = await this.call('list labels', () =>
      this.octokit.paginate(this.octokit.rest.issues.listLabelsForRepo, { ...this.repo, per_page: 100 }),
    );
    return labels.map((l) => ({ name: l.name, color: l.color, description: l.description ?? '' }));
  }

  async createLabel(l: Label): Promise<void> {
    try {
      await this.octokit.rest.issues.createLabel({ ...this.repo, ...l });
    } catch (err) {
      // Someone made it between our list and our create: make it what we wanted.
      if (isAlreadyExists(err)) return this.updateLabel(l.name, l);
      await this.call(`create label ${l.name}`, () => Promise.reject(err));
    }
  }

  async updateLabel(name: string, l: Label): Promise<void> {
    await this.call(`update label ${name}`, () =>
      this.octokit.rest.issues.updateLabel({
        ...this.repo,
        name,
        new_name: l.name,
        color: l.color,
        description: l.description,
      }),
    );
  }

  async listMilestones(): Promise<Milestone[]> {
    const all = await this.call('list milestones', () =>
      this.octokit.paginate(this.octokit.rest.issues.listMilestones, {
        ...this.repo,
        state: 'all',
        per_page: 100,
      }),
    );
    return all.map((m) => toMilestone(m as GhMilestone));
  }

  private milestoneFields(m: Omit<Milestone, 'number' | 'state'>) {
    return {
      title: m.title,
      description: withKey(m.description, m.key),
      ...(m.dueOn ? { due_on: m.dueOn } : {}),
    };
  }

  async createMilestone(m: Omit<Milestone, 'number' | 'state'>): Promise<Milestone> {
    try {
      const { data } = await this.octokit.rest.issues.createMilestone({
        ...this.repo,
        ...this.milestoneFields(m),
      });
      return toMilestone(data as GhMilestone);
    } catch (err) {
      if (!isAlreadyExists(err)) return this.call(`create milestone ${m.title}`, () => Promise.reject(err));
      // A milestone of that title exists (made by hand, or by a sync that lost its reply): adopt it.
      const found = (await this.listMilestones()).find((x) => x.title === m.title);
      if (!found) throw new UserError(`GitHub says milestone '${m.title}' exists but it is not listed`);
      await this.updateMilestone(found.number, m);
      return { ...found, key: m.key, description: m.description, dueOn: m.dueOn };
    }
  }

  async updateMilestone(number: number, m: Omit<Milestone, 'number' | 'state'>): Promise<void> {
    await this.call(`update milestone ${m.title}`, () =>
      this.octokit.rest.issues.updateMilestone({
        ...this.repo,
        milestone_number: number,
        ...this.milestoneFields(m),
      }),
    );
  }

  async listIssues(filter: IssueFilter = {}): Promise<Issue[]> {
    let milestone: string | undefined;
    if (filter.milestone !== undefined) {
      const m = (await this.listMilestones()).find((x) => x.title === filter.milestone);
      if (!m) return [];
      milestone = String(m.number);
    }
    const all = await this.call('list issues', () =>
      this.octokit.paginate(this.octokit.rest.issues.listForRepo, {
        ...this.repo,
        state: filter.state ?? 'open',
        per_page: 100,
        direction: 'asc',
        sort: 'created',
        ...(filter.label?.length ? { labels: filter.label.join(',') } : {}),
        ...(milestone ? { milestone } : {}),
      }),
    );
    // The issues endpoint lists pull requests too.
    return (all as GhIssue[])
      .filter((i) => !i.pull_request)
      .map(toIssue)
      .sort((a, b) => a.number - b.number);
  }

  async getIssue(number: number): Promise<Issue> {
    const { data } = await this.call(`get issue #${number}`, () =>
      this.octokit.rest.issues.get({ ...this.repo, issue_number: number }),
    );
    return toIssue(data as GhIssue);
  }

  async createIssue(issue: NewIssue): Promise<Issue> {
    const { data } = await this.call(`create issue '${issue.title}'`, () =>
      this.octokit.rest.issues.create({
        ...this.repo,
        title: issue.title,
        body: withKey(issue.body, issue.key),
        labels: issue.labels,
        ...(issue.milestone !== null ? { milestone: issue.milestone } : {}),
      }),
    );
    return toIssue(data as GhIssue);
  }

  async updateIssue(number: number, patch: IssuePatch): Promise<Issue> {
    let body: string | undefined;
    if (patch.body !== undefined) {
      // Keep the key that the issue already carries.
      const current = await this.getIssue(number);
      body = withKey(patch.body, current.key);
    }
    const { data } = await this.call(`update issue #${number}`, () =>
      this.octokit.rest.issues.update({
        ...this.repo,
        issue_number: number,
        ...(patch.title !== undefined ? { title: patch.title } : {}),
        ...(body !== undefined ? { body } : {}),
        ...(patch.labels !== undefined ? { labels: patch.labels } : {}),
        ...(patch.milestone !== undefined ? { milestone: patch.milestone } : {}),
        ...(patch.state !== undefined ? { state: patch.state } : {}),
      }),
    );
    return toIssue(data as GhIssue);
  }

  async editLabels(number: number, add: string[], remove: string[]): Promise<Issue> {
    // Add and remove are separate endpoints on GitHub, each atomic on its own.
    if (add.length)
      await this.call(`label issue #${number}`, () =>
        this.octokit.rest.issues.addLabels({ ...this.repo, issue_number: number, labels: add }),
      );
    for (const name of remove) {
      try {
        await this.octokit.rest.issues.removeLabel({ ...this.repo, issue_number: number, name });
      } catch (err) {
        if ((err as { status?: number }).status !== 404)
          await this.call(`unlabel issue #${number}`, () => Promise.reject(err));
      }
    }
    return this.getIssue(number);
  }

  async addComment(
    number: number,
    body: string,
    _author?: string,
    key: string | null = null,
  ): Promise<Comment> {
    if (key !== null) {
      const found = (await this.listComments(number)).find((c) => c.key === key);
      if (found) return found;
    }
    const { data } = await this.call(`comment on issue #${number}`, () =>
      this.octokit.rest.issues.createComment({
        ...this.repo,
        issue_number: number,
        body: withKey(body, key),
      }),
    );
    const { text } = splitKey(data.body);
    return {
      id: data.id,
      key,
      author: data.user?.login ?? '',
      body: key === null ? (data.body ?? '') : text.replace(/\n$/, ''),
      createdAt: data.created_at,
    };
  }

  async listComments(number: number): Promise<Comment[]> {
    const all = await this.call(`list comments of #${number}`, () =>
      this.octokit.paginate(this.octokit.rest.issues.listComments, {
        ...this.repo,
        issue_number: number,
        per_page: 100,
      }),
    );
    return all.map((c) => {
      const { text, key } = splitKey(c.body);
      return {
        id: c.id,
        key,
        author: c.user?.login ?? '',
        body: key === null ? (c.body ?? '') : text.replace(/\n$/, ''),
        createdAt: c.created_at,
      };
    });
  }

  // Events stay on this machine, in SQLite: a supervisor records one every few seconds at worst,
  // which would spam an issue's comments and spend the API's rate limit (docs/crew-agents.md).
  private get eventsDb(): Database.Database {
    this.eventsDbHandle ??= openDatabase(this.eventsFile);
    return this.eventsDbHandle;
  }

  async addEvent(e: Omit<CrewEvent, 'id' | 'at'>): Promise<CrewEvent> {
    return addEvent(this.eventsDb, e);
  }

  async listEvents(filter?: EventFilter): Promise<CrewEvent[]> {
    return listEvents(this.eventsDb, filter);
  }

  async close(): Promise<void> {
    this.eventsDbHandle?.close();
    this.eventsDbHandle = null;
  }
}
