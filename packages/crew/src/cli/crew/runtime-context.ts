// What every runtime command opens: the plan and the tracker it names, and how to run llm-crew itself.
import { resolve } from 'node:path';
import { UsageError } from 'llm-scratch-core/errors';
import { loadPlan, type PlanContext } from '../../crew/plan/index.js';
import { openTracker, type Tracker } from '../../crew/tracker/index.js';
import { withNotify } from '../../crew/tracker/notify.js';

export const runtimeOptions = {
  plan: { type: 'string', value: 'FILE', description: 'the plan', default: 'crew.yaml' },
  socket: {
    type: 'string',
    value: 'NAME',
    description:
      "a private tmux server (tmux -L NAME); default: the one `up` used, else the user's default server",
  },
  db: {
    type: 'string',
    value: 'FILE',
    description: "the local tracker's database (default: .crew/tracker.db beside the plan)",
  },
} as const;

export async function withCrew<T>(
  o: { plan: string; db?: string },
  stderr: (t: string) => void,
  fn: (ctx: PlanContext, tracker: Tracker) => Promise<T>,
): Promise<T> {
  // The tracker's numbers do not depend on the book: skip the chapter checks for runtime commands.
  const ctx = loadPlan(o.plan, { check: false });
  const log = (m: string) => stderr(`${m}\n`);
  const opened = openTracker({
    kind: ctx.plan.project.tracker,
    dir: ctx.dir,
    db: o.db,
    repo: ctx.plan.project.repo,
    log,
  });
  const tracker = withNotify(opened, ctx.plan.notify, { project: ctx.plan.project.name, cwd: ctx.dir, log });
  try {
    return await fn(ctx, tracker);
  } finally {
    await tracker.close();
  }
}

/**
 * How the coordinator's session runs llm-crew: this Node, its flags (a loader such as tsx made
 * absolute, since the session runs elsewhere) and this script.
 */
export function selfCommand(): string[] {
  const flags: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if ((a === '--import' || a === '--loader') && argv[i + 1] && !/^[./]|^file:/.test(argv[i + 1]!)) {
      flags.push(a, import.meta.resolve(argv[++i]!));
    } else flags.push(a);
  }
  return [process.execPath, ...flags, resolve(process.argv[1]!)];
}

export function oneAgent(positionals: string[], what = 'AGENT'): string {
  if (positionals.length === 0) throw new UsageError(`missing the ${what}`);
  return positionals[0]!;
}
