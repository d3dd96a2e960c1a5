/**
 * crew.yaml -> Plan. The shape (types, required and unknown fields) is schema/crew.schema.json
 * (json-schema.ts); what a JSON Schema cannot say (the version, a real date, unique ids, references
 * between agents and milestones) is checked here. Every error names the path of the bad field
 * (`agents[1].chapters[0]`) and the line it is on. Defaults are filled here, so the rest of the code
 * sees a complete Plan.
 */
import { isMap, LineCounter, parseDocument, stringify, type Document, type Node } from 'yaml';
import { UserError } from 'llm-scratch-core/errors';
import { PROFILES } from '../agents/profiles/index.js';
import { shapeIssues, type Key } from './json-schema.js';
import {
  PLAN_VERSION,
  type Agent,
  type Deliverable,
  type IntegrationPoint,
  type LabelSpec,
  type Milestone,
  type NotifyEvent,
  type NotifyHook,
  type Plan,
  NOTIFY_EVENTS,
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

function pathText(path: Key[]): string {
  let out = '';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : out ? `.${k}` : k;
  return out;
}

/** The line of the node at path, or of its nearest existing parent. */
function lineOf(doc: Document, lines: LineCounter, path: Key[]): number | null {
  for (let n = path.length; n >= 0; n--) {
    const node = (n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true)) as Node | null;
    if (node && node.range) return lines.linePos(node.range[0]).line;
  }
  return null;
}

// The schema has vouched for the types by the time these read a value; they still fall back to the
// default on a wrong type, so that the checks below run (and report) on a plan with shape errors.
type Fields = Record<string, unknown>;
const fields = (v: unknown): Fields =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Fields) : {};
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | null => (typeof v === 'string' ? v.trim() : null);
const texts = (v: unknown): string[] =>
  list(v).flatMap((x) => (typeof x === 'string' || typeof x === 'number' ? [String(x).trim()] : []));
const count = (v: unknown): number => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : 0);

/** The YAML's value as plain data; an alias bomb trips the parser's guard here. */
function toData(doc: Document, file: string): unknown {
  try {
    return doc.toJS();
  } catch (err) {
    const why = /excessive alias count/i.test((err as Error).message)
      ? 'too many aliases (a YAML alias bomb?)'
      : (err as Error).message.split('\n')[0]!;
    throw new PlanError(file, [{ path: '', line: null, message: `not valid YAML: ${why}` }]);
  }
}

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
  const raw = fields(toData(doc, file));
  const issues: PlanIssue[] = shapeIssues(raw).map((i) => ({
    path: pathText(i.path),
    line: lineOf(doc, lines, i.path),
    message: i.message,
  }));
  const fail = (path: Key[], message: string) =>
    issues.push({ path: pathText(path), line: lineOf(doc, lines, path), message });

  if (raw.version !== undefined && raw.version !== null && raw.version !== PLAN_VERSION)
    fail(['version'], `this llm-crew reads version ${PLAN_VERSION}, got ${JSON.stringify(raw.version)}`);

  const p = fields(raw.project);
  const start = str(p.start);
  if (start !== null && /^\d{4}-\d{2}-\d{2}$/.test(start) && Number.isNaN(Date.parse(start)))
    fail(['project', 'start'], `expected a date YYYY-MM-DD, got '${start}'`);
  const project = {
    name: str(p.name) ?? 'project',
    repo: str(p.repo),
    tracker: (p.tracker === 'github' ? 'github' : 'local') as Plan['project']['tracker'],
    start,
    templates: str(p.templates),
    test_command: str(p.test_command),
  };

  const b = fields(raw.book);
  const book = { file: str(b.file), structure: str(b.structure) ?? '', chunks: str(b.chunks) };

  const agents: Agent[] = list(raw.agents).map((value, i) => {
    const a = fields(value);
    const id = str(a.id) ?? '';
    // A command of one's own without a program is a custom program; neither is Claude Code.
    const program = (str(a.program) ?? (str(a.command) ? 'plain' : 'claude')) as Agent['program'];
    const command = str(a.command) ?? PROFILES[program]?.program ?? null;
    // An unknown program is the schema's to report.
    if (command === null && program in PROFILES)
      fail(['agents', i, 'program'], `program '${program}' needs a command`);
    return {
      id,
      role: str(a.role) ?? id,
      session: str(a.session) ?? `crew-${id}`,
      chapters: texts(a.chapters),
      modules: texts(a.modules),
      program,
      permissions: (str(a.permissions) ?? 'ask') as Agent['permissions'],
      command: command ?? '',
      brief: str(a.brief),
    };
  });
  unique(agents, ['agents'], 'agent', fail);

  const milestones: Milestone[] = list(raw.milestones).map((value, i) => {
    const m = fields(value);
    const deliverables: Deliverable[] = list(m.deliverables).map((dv, j) => {
      const d = fields(dv);
      const title = str(d.title) ?? '';
      return {
        id: str(d.id) ?? (slug(title) || `d${j + 1}`),
        title,
        sections: texts(d.sections),
        module: str(d.module),
        accept: str(d.accept),
      };
    });
    unique(deliverables, ['milestones', i, 'deliverables'], 'deliverable', fail);
    return {
      id: str(m.id) ?? '',
      title: str(m.title) ?? '',
      owner: str(m.owner) ?? '',
      deliverables,
      depends: texts(m.depends),
      day: count(m.day),
    };
  });
  unique(milestones, ['milestones'], 'milestone', fail);

  const integration: IntegrationPoint[] = list(raw.integration).map((value) => {
    const x = fields(value);
    return {
      id: str(x.id) ?? '',
      from: str(x.from) ?? '',
      to: str(x.to) ?? '',
      module: str(x.module) ?? '',
      interface: str(x.interface) ?? '',
      day: count(x.day),
      test: str(x.test) ?? '',
      milestone: str(x.milestone),
    };
  });
  unique(integration, ['integration'], 'integration point', fail);

  const labels: LabelSpec[] = list(raw.labels).map((value) => {
    const l = fields(value);
    return {
      name: str(l.name) ?? '',
      color: (str(l.color) ?? 'ededed').toLowerCase(),
      description: str(l.description) ?? '',
    };
  });

  const notify: NotifyHook[] = list(raw.notify).map((value, i) => {
    const n = fields(value);
    const hook = {
      command: str(n.command),
      url: str(n.url),
      events:
        n.events === undefined || n.events === null ? [...NOTIFY_EVENTS] : (texts(n.events) as NotifyEvent[]),
    };
    if ((hook.command === null) === (hook.url === null))
      fail(['notify', i], 'give a hook either a command or a url (one of them)');
    return hook;
  });

  // Cross-references that only need the plan itself; checks against the book are in check.ts.
  const agentIds = new Set(agents.map((a) => a.id));
  const milestoneIds = new Set(milestones.map((m) => m.id));
  milestones.forEach((m, i) => {
    if (m.owner && m.owner !== 'coordinator' && !agentIds.has(m.owner))
      fail(['milestones', i, 'owner'], `'${m.owner}' is not an agent id (or 'coordinator')`);
    m.depends.forEach((d, j) => {
      if (!milestoneIds.has(d)) fail(['milestones', i, 'depends', j], `'${d}' is not a milestone id`);
    });
  });
  integration.forEach((x, i) => {
    for (const end of ['from', 'to'] as const)
      if (x[end] && !agentIds.has(x[end])) fail(['integration', i, end], `'${x[end]}' is not an agent id`);
    if (x.from && x.from === x.to) fail(['integration', i, 'to'], 'an integration point joins two agents');
    if (x.milestone !== null && !milestoneIds.has(x.milestone))
      fail(['integration', i, 'milestone'], `'${x.milestone}' is not a milestone id`);
  });

  if (issues.length > 0) throw new PlanError(file, issues);
  return { version: PLAN_VERSION, project, book, agents, milestones, integration, labels, notify };
}

/** Reports the second and later uses of an id in a list. */
function unique(
  items: { id: string }[],
  path: Key[],
  what: string,
  fail: (p: Key[], m: string) => void,
): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (item.id && seen.has(item.id)) fail([...path, i, 'id'], `duplicate ${what} id '${item.id}'`);
    seen.add(item.id);
  });
}

/**
 * The plan as crew.yaml text, with a header saying where the format is described; with `schema`
 * (the path of schema/crew.schema.json, relative to crew.yaml), the modeline that makes editors
 * with yaml-language-server complete and check the file.
 */
export function planToYaml(plan: Plan, { schema }: { schema?: string } = {}): string {
  const modeline = schema ? `# yaml-language-server: $schema=${schema}\n` : '';
  const header = '# llm-crew plan: see docs/crew-plan-and-tracker.md for the format.\n';
  return modeline + header + stringify(plan, { lineWidth: 110 });
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
