// An in-process GitHub REST API for the tracker tests: labels, milestones, issues, comments, with
// GitHub's shapes, Link-header pagination (pages of at most PAGE items, fewer than GitHub's 100 so
// that every list pages), 422 already_exists on duplicate labels and milestone titles, and
// injectable faults (a 403 secondary rate limit with retry-after, 5xx).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { nowIso as now } from 'llm-scratch-core/clock';

const PAGE = 5;

interface Label {
  id: number;
  name: string;
  color: string;
  description: string | null;
}
interface Milestone {
  number: number;
  title: string;
  description: string | null;
  due_on: string | null;
  state: string;
}
interface Issue {
  number: number;
  title: string;
  body: string | null;
  labels: string[];
  milestone: number | null;
  state: string;
  created_at: string;
  updated_at: string;
}
interface Comment {
  id: number;
  issue: number;
  body: string;
  user: string;
  created_at: string;
}

export interface Fault {
  method: string;
  path: RegExp;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** How many matching requests fail; default 1. */
  times?: number;
}

export interface FakeGitHub {
  url: string;
  token: string;
  labels: Label[];
  milestones: Milestone[];
  issues: Issue[];
  comments: Comment[];
  faults: Fault[];
  /** Every request as "METHOD /path?query", in order. */
  requests: string[];
  /** Authorization headers seen. */
  auth: Set<string>;
  /** Make the next label list come back empty, as if another client created them a moment later. */
  hideLabelsOnce: boolean;
  close(): Promise<void>;
}

export async function startFakeGitHub(
  repo = 'acme/llm-scratch',
  token = 'ghp_TESTTOKEN0123456789',
): Promise<FakeGitHub> {
  const gh: Omit<FakeGitHub, 'url' | 'close'> = {
    token,
    labels: [],
    milestones: [],
    issues: [],
    comments: [],
    faults: [],
    requests: [],
    auth: new Set(),
    hideLabelsOnce: false,
  };
  let ids = 1000;
  const base = `/repos/${repo}`;

  const issueJson = (i: Issue, url: string) => ({
    id: i.number + 5000,
    number: i.number,
    title: i.title,
    body: i.body,
    state: i.state,
    labels: i.labels.map((name) => {
      const l = gh.labels.find((x) => x.name === name)!;
      return { id: l.id, name: l.name, color: l.color, description: l.description };
    }),
    milestone:
      i.milestone === null ? null : milestoneJson(gh.milestones.find((m) => m.number === i.milestone)!),
    created_at: i.created_at,
    updated_at: i.updated_at,
    html_url: `${url}/${i.number}`,
  });
  const milestoneJson = (m: Milestone) => ({
    id: m.number + 9000,
    number: m.number,
    title: m.title,
    description: m.description,
    due_on: m.due_on,
    state: m.state,
  });
  const labelJson = (l: Label) => ({ id: l.id, name: l.name, color: l.color, description: l.description });
  const commentJson = (c: Comment) => ({
    id: c.id,
    body: c.body,
    user: { login: c.user },
    created_at: c.created_at,
  });

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(body === undefined ? '' : JSON.stringify(body));
  }

  function page<T>(req: IncomingMessage, res: ServerResponse, items: T[], origin: string) {
    const url = new URL(req.url!, origin);
    const per = Math.min(Number(url.searchParams.get('per_page') ?? 30), PAGE);
    const p = Number(url.searchParams.get('page') ?? 1);
    const last = Math.max(1, Math.ceil(items.length / per));
    const link = (n: number, rel: string) => {
      const u = new URL(url);
      u.searchParams.set('page', String(n));
      return `<${u.href}>; rel="${rel}"`;
    };
    const links = [];
    if (p < last) links.push(link(p + 1, 'next'), link(last, 'last'));
    if (p > 1) links.push(link(1, 'first'), link(p - 1, 'prev'));
    send(res, 200, items.slice((p - 1) * per, p * per), links.length ? { link: links.join(', ') } : {});
  }

  const invalid = (res: ServerResponse, resource: string, field: string) =>
    send(res, 422, {
      message: 'Validation Failed',
      errors: [{ resource, code: 'already_exists', field }],
      documentation_url: 'https://docs.github.com/rest',
    });

  async function handle(req: IncomingMessage, res: ServerResponse, origin: string) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length
      ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>)
      : {};
    const url = new URL(req.url!, origin);
    const path = decodeURIComponent(url.pathname);
    const method = req.method!;
    gh.requests.push(`${method} ${url.pathname}${url.search}`);
    gh.auth.add(String(req.headers.authorization));
    if (req.headers.authorization !== `token ${token}`) return send(res, 401, { message: 'Bad credentials' });
    const fault = gh.faults.find((f) => f.method === method && f.path.test(path) && (f.times ?? 1) > 0);
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      return send(res, fault.status, fault.body ?? { message: 'fault' }, fault.headers);
    }
    if (!path.startsWith(base)) return send(res, 404, { message: 'Not Found' });
    const rest = path.slice(base.length);
    let m: RegExpExecArray | null;

    if (rest === '/labels' && method === 'GET') {
      if (gh.hideLabelsOnce) {
        gh.hideLabelsOnce = false;
        return page(req, res, [], origin);
      }
      return page(req, res, gh.labels.map(labelJson), origin);
    }
    if (rest === '/labels' && method === 'POST') {
      if (gh.labels.some((l) => l.name.toLowerCase() === String(body.name).toLowerCase()))
        return invalid(res, 'Label', 'name');
      const l = {
        id: ids++,
        name: String(body.name),
        color: String(body.color),
        description: (body.description as string) ?? null,
      };
      gh.labels.push(l);
      return send(res, 201, labelJson(l));
    }
    if ((m = /^\/labels\/(.+)$/.exec(rest)) && method === 'PATCH') {
      const l = gh.labels.find((x) => x.name === m![1]);
      if (!l) return send(res, 404, { message: 'Not Found' });
      Object.assign(l, {
        name: body.new_name ?? l.name,
        color: body.color ?? l.color,
        description: body.description ?? l.description,
      });
      return send(res, 200, labelJson(l));
    }
    if (rest === '/milestones' && method === 'GET') {
      const state = url.searchParams.get('state') ?? 'open';
      return page(
        req,
        res,
        gh.milestones.filter((x) => state === 'all' || x.state === state).map(milestoneJson),
        origin,
      );
    }
    if (rest === '/milestones' && method === 'POST') {
      if (gh.milestones.some((x) => x.title === body.title)) return invalid(res, 'Milestone', 'title');
      const ms = {
        number: gh.milestones.length + 1,
        title: String(body.title),
        description: (body.description as string) ?? null,
        due_on: (body.due_on as string) ?? null,
        state: 'open',
      };
      gh.milestones.push(ms);
      return send(res, 201, milestoneJson(ms));
    }
    if ((m = /^\/milestones\/(\d+)$/.exec(rest)) && method === 'PATCH') {
      const ms = gh.milestones.find((x) => x.number === Number(m![1]));
      if (!ms) return send(res, 404, { message: 'Not Found' });
      for (const k of ['title', 'description', 'due_on', 'state'] as const)
        if (body[k] !== undefined) (ms as unknown as Record<string, unknown>)[k] = body[k];
      return send(res, 200, milestoneJson(ms));
    }
    const issuesUrl = `${origin}${base}/issues`;
    if (rest === '/issues' && method === 'GET') {
      const state = url.searchParams.get('state') ?? 'open';
      const labels = url.searchParams.get('labels')?.split(',') ?? [];
      const milestone = url.searchParams.get('milestone');
      const list = gh.issues.filter(
        (i) =>
          (state === 'all' || i.state === state) &&
          labels.every((l) => i.labels.includes(l)) &&
          (milestone === null || i.milestone === Number(milestone)),
      );
      return page(
        req,
        res,
        list.map((i) => issueJson(i, issuesUrl)),
        origin,
      );
    }
    if (rest === '/issues' && method === 'POST') {
      const labels = (body.labels as string[]) ?? [];
      for (const name of labels)
        if (!gh.labels.some((l) => l.name === name))
          gh.labels.push({ id: ids++, name, color: 'ededed', description: null });
      const t = now();
      const issue = {
        number: gh.issues.length + 1,
        title: String(body.title),
        body: (body.body as string) ?? null,
        labels,
        milestone: (body.milestone as number) ?? null,
        state: 'open',
        created_at: t,
        updated_at: t,
      };
      gh.issues.push(issue);
      return send(res, 201, issueJson(issue, issuesUrl));
    }
    if ((m = /^\/issues\/(\d+)(\/.*)?$/.exec(rest))) {
      const issue = gh.issues.find((x) => x.number === Number(m![1]));
      if (!issue) return send(res, 404, { message: 'Not Found' });
      const sub = m[2] ?? '';
      if (sub === '' && method === 'GET') return send(res, 200, issueJson(issue, issuesUrl));
      if (sub === '' && method === 'PATCH') {
        for (const k of ['title', 'body', 'state', 'milestone', 'labels'] as const)
          if (body[k] !== undefined) (issue as unknown as Record<string, unknown>)[k] = body[k];
        issue.updated_at = now();
        return send(res, 200, issueJson(issue, issuesUrl));
      }
      if (sub === '/labels' && method === 'POST') {
        for (const name of body.labels as string[]) {
          if (!gh.labels.some((l) => l.name === name))
            gh.labels.push({ id: ids++, name, color: 'ededed', description: null });
          if (!issue.labels.includes(name)) issue.labels.push(name);
        }
        return send(
          res,
          200,
          issue.labels.map((n) => labelJson(gh.labels.find((l) => l.name === n)!)),
        );
      }
      if ((m = /^\/labels\/(.+)$/.exec(sub)) && method === 'DELETE') {
        if (!issue.labels.includes(m[1]!)) return send(res, 404, { message: 'Label does not exist' });
        issue.labels = issue.labels.filter((l) => l !== m![1]);
        return send(res, 200, []);
      }
      if (sub === '/comments' && method === 'GET')
        return page(req, res, gh.comments.filter((c) => c.issue === issue.number).map(commentJson), origin);
      if (sub === '/comments' && method === 'POST') {
        const c = {
          id: ids++,
          issue: issue.number,
          body: String(body.body),
          user: 'crew-bot',
          created_at: now(),
        };
        gh.comments.push(c);
        return send(res, 201, commentJson(c));
      }
    }
    return send(res, 404, { message: 'Not Found' });
  }

  const server: Server = createServer((req, res) => {
    const origin = `http://${req.headers.host}`;
    handle(req, res, origin).catch((err: unknown) => send(res, 500, { message: String(err) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(gh, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }) as FakeGitHub;
}
