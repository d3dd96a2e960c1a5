/**
 * crew.yaml -> Plan. Validation by hand: every error names the path of the bad field
 * (`agents[1].chapters[0]`) and the line it is on, which a generic schema library would make us
 * reconstruct anyway. Defaults are filled here, so the rest of the code sees a complete Plan.
 */
import { isMap, LineCounter, parseDocument, stringify, type Document, type Node } from 'yaml';
import { UserError } from '../../errors.js';
import {
  PLAN_VERSION,
  type Agent,
  type Deliverable,
  type IntegrationPoint,
  type LabelSpec,
  type Milestone,
  type Plan,
} from './types.js';

export interface PlanIssue {
  path: string;
  line: number | null;
  message: string;
}

export class PlanError extends UserError {
  override name = 'PlanError';
  constructor(
    readonly file: string,
    readonly issues: PlanIssue[],
  ) {
    const first = issues[0]!;
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more; run 'llm-crew plan --check')` : '';
    super(`${formatIssue(file, first)}${more}`);
  }
}

export function formatIssue(file: string, i: PlanIssue): string {
  return `${file}${i.line !== null ? `:${i.line}` : ''}: ${i.path ? `${i.path}: ` : ''}${i.message}`;
}

type Key = string | number;

function pathText(path: Key[]): string {
  let out = '';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : out ? `.${k}` : k;
  return out;
}

const ID = /^[a-z0-9][a-z0-9._-]*$/;

/** Walks the parsed YAML with a path, collecting issues instead of stopping at the first one. */
class Reader {
  readonly issues: PlanIssue[] = [];
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** The line of the node at path, or of its nearest existing parent. */
  line(path: Key[]): number | null {
    for (let n = path.length; n >= 0; n--) {
      const node = (n === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, n), true)) as Node | null;
      if (node && node.range) return this.lines.linePos(node.range[0]).line;
    }
    return null;
  }

  fail(path: Key[], message: string): void {
    this.issues.push({ path: pathText(path), line: this.line(path), message });
  }

  /** Reports keys that the schema does not know: a typo would otherwise be silently ignored. */
  keys(value: Record<string, unknown>, path: Key[], known: string[]): void {
    for (const k of Object.keys(value))
      if (!known.includes(k)) this.fail([...path, k], `unknown field (expected one of: ${known.join(', ')})`);
  }

  object(value: unknown, path: Key[], known: string[]): Record<string, unknown> | null {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.fail(path, `expected a mapping, got ${describe(value)}`);
      return null;
    }
    this.keys(value as Record<string, unknown>, path, known);
    return value as Record<string, unknown>;
  }

  string(obj: Record<string, unknown>, key: string, path: Key[], fallback?: string | null): string | null {
    const v = obj[key];
    if (v === undefined || v === null) {
      if (fallback === undefined) this.fail([...path, key], 'missing (required)');
      return fallback ?? null;
    }
    if (typeof v !== 'string' && typeof v !== 'number') {
      this.fail([...path, key], `expected a string, got ${describe(v)}`);
      return fallback ?? null;
    }
    const s = String(v).trim();
    if (s === '') this.fail([...path, key], 'must not be empty');
    return s;
  }

  id(obj: Record<string, unknown>, key: string, path: Key[], fallback?: string): string {
    const s = this.string(obj, key, path, fallback) ?? '';
    if (s && !ID.test(s))
      this.fail([...path, key], `'${s}' is not an id (lower-case letters, digits, '.', '_', '-')`);
    return s;
  }

  integer(obj: Record<string, unknown>, key: string, path: Key[], fallback?: number): number {
    const v = obj[key];
    if (v === undefined || v === null) {
      if (fallback === undefined) this.fail([...path, key], 'missing (required)');
      return fallback ?? 0;
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      this.fail([...path, key], `expected a whole number >= 0, got ${describe(v)}`);
      return fallback ?? 0;
    }
    return v;
  }

  strings(obj: Record<string, unknown>, key: string, path: Key[], required = false): string[] {
    const v = obj[key];
    if (v === undefined || v === null) {
      if (required) this.fail([...path, key], 'missing (required)');
      return [];
    }
    if (!Array.isArray(v)) {
      this.fail([...path, key], `expected a list, got ${describe(v)}`);
      return [];
    }
    const out: string[] = [];
    v.forEach((item, i) => {
      if (typeof item === 'string' || typeof item === 'number') out.push(String(item).trim());
      else this.fail([...path, key, i], `expected a string or number, got ${describe(item)}`);
    });
    return out;
  }

  list(obj: Record<string, unknown>, key: string, path: Key[], required = false): unknown[] {
    const v = obj[key];
    if (v === undefined || v === null) {
      if (required) this.fail([...path, key], 'missing (required)');
      return [];
    }
    if (!Array.isArray(v)) {
      this.fail([...path, key], `expected a list, got ${describe(v)}`);
      return [];
    }
    return v;
  }

  /** Reports the second and later uses of an id in a list. */
  unique(items: { id: string }[], path: Key[], what: string): void {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      if (item.id && seen.has(item.id)) this.fail([...path, i, 'id'], `duplicate ${what} id '${item.id}'`);
      seen.add(item.id);
    });
  }
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

const TOP = ['version', 'project', 'book', 'agents', 'milestones', 'integration', 'labels'];

export function parsePlan(text: string, file = 'crew.yaml'): Plan {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = lines.linePos(e.pos[0]).line;
    throw new PlanError(file, [
      {
        path: '',
        line,
        message: `not valid YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+.*$/, '')}`,
      },
    ]);
  }
  if (!isMap(doc.contents))
    throw new PlanError(file, [
      { path: '', line: 1, message: 'expected a mapping at the top (project:, book:, agents:, ...)' },
    ]);
  const r = new Reader(doc, lines);
  const raw = doc.toJS() as Record<string, unknown>;
  r.keys(raw, [], TOP);

  const version = r.integer(raw, 'version', [], PLAN_VERSION);
  if (version !== PLAN_VERSION)
    r.fail(['version'], `this llm-crew reads version ${PLAN_VERSION}, got ${version}`);

  const p = r.object(raw.project ?? {}, ['project'], ['name', 'repo', 'tracker', 'start', 'templates']) ?? {};
  const tracker = r.string(p, 'tracker', ['project'], 'local');
  if (tracker !== 'local' && tracker !== 'github')
    r.fail(['project', 'tracker'], `expected local or github, got '${tracker}'`);
  const repo = r.string(p, 'repo', ['project'], null);
  if (repo !== null && !/^[\w.-]+\/[\w.-]+$/.test(repo))
    r.fail(['project', 'repo'], `expected OWNER/NAME, got '${repo}'`);
  const start = r.string(p, 'start', ['project'], null);
  if (start !== null && (!/^\d{4}-\d{2}-\d{2}$/.test(start) || Number.isNaN(Date.parse(start))))
    r.fail(['project', 'start'], `expected a date YYYY-MM-DD, got '${start}'`);
  // yaml turns an unquoted 2026-12-01 into a string (core schema), so start stays a string.
  const project = {
    name: r.string(p, 'name', ['project'], 'project') ?? 'project',
    repo,
    tracker: (tracker === 'github' ? 'github' : 'local') as Plan['project']['tracker'],
    start,
    templates: r.string(p, 'templates', ['project'], null),
  };

  const b = r.object(raw.book, ['book'], ['file', 'structure', 'chunks']) ?? {};
  const book = {
    file: r.string(b, 'file', ['book'], null),
    structure: r.string(b, 'structure', ['book']) ?? '',
    chunks: r.string(b, 'chunks', ['book'], null),
  };

  const agents: Agent[] = r.list(raw, 'agents', [], true).map((value, i) => {
    const path = ['agents', i];
    const a =
      r.object(value, path, ['id', 'role', 'session', 'chapters', 'modules', 'command', 'brief']) ?? {};
    const id = r.id(a, 'id', path);
    return {
      id,
      role: r.string(a, 'role', path, id) ?? id,
      session: r.string(a, 'session', path, `crew-${id}`) ?? `crew-${id}`,
      chapters: r.strings(a, 'chapters', path, true),
      modules: r.strings(a, 'modules', path),
      command: r.string(a, 'command', path, 'claude') ?? 'claude',
      brief: r.string(a, 'brief', path, null),
    };
  });
  if (agents.length === 0 && Array.isArray(raw.agents)) r.fail(['agents'], 'needs at least one agent');
  r.unique(agents, ['agents'], 'agent');

  const milestones: Milestone[] = r.list(raw, 'milestones', [], true).map((value, i) => {
    const path = ['milestones', i];
    const m = r.object(value, path, ['id', 'title', 'owner', 'deliverables', 'depends', 'day']) ?? {};
    const deliverables: Deliverable[] = r.list(m, 'deliverables', path).map((dv, j) => {
      const dpath = [...path, 'deliverables', j];
      const d = r.object(dv, dpath, ['id', 'title', 'sections', 'module']) ?? {};
      const title = r.string(d, 'title', dpath) ?? '';
      return {
        id: r.id(d, 'id', dpath, slug(title) || `d${j + 1}`),
        title,
        sections: r.strings(d, 'sections', dpath, true),
        module: r.string(d, 'module', dpath, null),
      };
    });
    r.unique(deliverables, [...path, 'deliverables'], 'deliverable');
    return {
      id: r.id(m, 'id', path),
      title: r.string(m, 'title', path) ?? '',
      owner: r.id(m, 'owner', path),
      deliverables,
      depends: r.strings(m, 'depends', path),
      day: r.integer(m, 'day', path),
    };
  });
  r.unique(milestones, ['milestones'], 'milestone');

  const integration: IntegrationPoint[] = r.list(raw, 'integration', []).map((value, i) => {
    const path = ['integration', i];
    const known = ['id', 'from', 'to', 'module', 'interface', 'day', 'test', 'milestone'];
    const x = r.object(value, path, known) ?? {};
    return {
      id: r.id(x, 'id', path),
      from: r.id(x, 'from', path),
      to: r.id(x, 'to', path),
      module: r.string(x, 'module', path) ?? '',
      interface: r.string(x, 'interface', path) ?? '',
      day: r.integer(x, 'day', path),
      test: r.string(x, 'test', path) ?? '',
      milestone: r.string(x, 'milestone', path, null),
    };
  });
  r.unique(integration, ['integration'], 'integration point');

  const labels: LabelSpec[] = r.list(raw, 'labels', []).map((value, i) => {
    const path = ['labels', i];
    const l = r.object(value, path, ['name', 'color', 'description']) ?? {};
    const color = r.string(l, 'color', path, 'ededed') ?? 'ededed';
    if (!/^[0-9a-fA-F]{6}$/.test(color)) r.fail([...path, 'color'], `expected 6 hex digits, got '${color}'`);
    return {
      name: r.string(l, 'name', path) ?? '',
      color: color.toLowerCase(),
      description: r.string(l, 'description', path, '') ?? '',
    };
  });

  // Cross-references that only need the plan itself; checks against the book are in check.ts.
  const agentIds = new Set(agents.map((a) => a.id));
  const milestoneIds = new Set(milestones.map((m) => m.id));
  milestones.forEach((m, i) => {
    if (m.owner && m.owner !== 'coordinator' && !agentIds.has(m.owner))
      r.fail(['milestones', i, 'owner'], `'${m.owner}' is not an agent id (or 'coordinator')`);
    m.depends.forEach((d, j) => {
      if (!milestoneIds.has(d)) r.fail(['milestones', i, 'depends', j], `'${d}' is not a milestone id`);
    });
  });
  integration.forEach((x, i) => {
    for (const end of ['from', 'to'] as const)
      if (x[end] && !agentIds.has(x[end])) r.fail(['integration', i, end], `'${x[end]}' is not an agent id`);
    if (x.from && x.from === x.to) r.fail(['integration', i, 'to'], 'an integration point joins two agents');
    if (x.milestone !== null && !milestoneIds.has(x.milestone))
      r.fail(['integration', i, 'milestone'], `'${x.milestone}' is not a milestone id`);
  });

  if (r.issues.length > 0) throw new PlanError(file, r.issues);
  return { version: PLAN_VERSION, project, book, agents, milestones, integration, labels };
}

/** The plan as crew.yaml text, with a header saying where the format is described. */
export function planToYaml(plan: Plan): string {
  const header = '# llm-crew plan: see docs/crew-plan-and-tracker.md for the format.\n';
  return header + stringify(plan, { lineWidth: 110 });
}

export function slug(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '');
}
