/**
 * Notify hooks (`notify:` in crew.yaml): a command run with the event as JSON on its stdin, or a
 * webhook on this machine POSTed the same JSON. They hear three things, at the one place the crew
 * records them, the tracker: an agent waiting for input, an agent blocked (its issue labelled
 * `blocked`, or the supervisor giving up on it), and a check turning red. A hook that fails is
 * logged and never fails the command that recorded the event.
 */
import type { CrewEvent } from '../agents/types.js';
import { run } from '../agents/exec.js';
import { splitWords } from '../agents/words.js';
import type { NotifyEvent, NotifyHook } from '../plan/types.js';
import type { Issue, Tracker } from './types.js';

// A hook is a notification, not a job: it gets a few seconds.
const HOOK_TIMEOUT_MS = 10_000;

export interface Notification {
  event: NotifyEvent;
  project: string;
  at: string;
  agent: string | null;
  message: string;
  /** The recorded event behind it; null for a label put on an issue. */
  kind: string | null;
  data: Record<string, unknown> | null;
  issue: number | null;
}

/** The notification a recorded event makes, or null. */
export function notifyEventOf(e: CrewEvent): NotifyEvent | null {
  const kind: string = e.kind;
  if (kind === 'check' && e.data?.turnedRed === true) return 'check-red';
  // The supervisor's verdict on an agent (a `state` event) says when it waits for its human.
  if (kind === 'waiting-for-input' || (kind === 'state' && e.data?.state === 'waiting-for-input'))
    return 'waiting-for-input';
  if (kind === 'blocked' || kind === 'gave-up') return 'blocked';
  return null;
}

export async function fireHooks(
  hooks: NotifyHook[],
  n: Notification,
  o: { cwd: string; env?: NodeJS.ProcessEnv; log?: (line: string) => void },
): Promise<void> {
  const body = JSON.stringify(n) + '\n';
  for (const hook of hooks.filter((h) => h.events.includes(n.event))) {
    const what = hook.command ?? hook.url!;
    try {
      if (hook.command) {
        const argv = splitWords(hook.command);
        const r = await run(argv[0]!, argv.slice(1), {
          cwd: o.cwd,
          env: o.env,
          input: body,
          timeoutMs: HOOK_TIMEOUT_MS,
        });
        if (r.code !== 0)
          o.log?.(`notify ${what}: exit code ${r.code} ${r.stderr.trim().split('\n')[0] ?? ''}`);
      } else {
        const res = await fetch(hook.url!, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(HOOK_TIMEOUT_MS),
        });
        if (!res.ok) o.log?.(`notify ${what}: HTTP ${res.status}`);
      }
    } catch (err) {
      o.log?.(`notify ${what}: ${(err as Error).message}`);
    }
  }
}

/**
 * The tracker, with the plan's hooks fired after an event that notifies is recorded and after a
 * `blocked` label goes on an issue that did not carry it.
 */
export function withNotify(
  tracker: Tracker,
  hooks: NotifyHook[],
  o: { project: string; cwd: string; env?: NodeJS.ProcessEnv; log?: (line: string) => void },
): Tracker {
  if (hooks.length === 0) return tracker;
  const blockedNow = async (before: Issue, after: Issue) => {
    if (before.labels.includes('blocked') || !after.labels.includes('blocked')) return;
    await fireHooks(
      hooks,
      {
        event: 'blocked',
        project: o.project,
        at: after.updatedAt,
        agent: null,
        message: `#${after.number} ${after.title} is blocked`,
        kind: null,
        data: null,
        issue: after.number,
      },
      o,
    );
  };
  return new Proxy(tracker, {
    get(target, prop, receiver) {
      if (prop === 'addEvent')
        return async (e: Omit<CrewEvent, 'id' | 'at'>) => {
          const recorded = await target.addEvent(e);
          const event = notifyEventOf(recorded);
          if (event)
            await fireHooks(
              hooks,
              {
                event,
                project: o.project,
                at: recorded.at,
                agent: recorded.agent,
                message: recorded.message,
                kind: recorded.kind,
                data: recorded.data,
                issue: typeof recorded.data?.issue === 'number' ? recorded.data.issue : null,
              },
              o,
            );
          return recorded;
        };
      if (prop === 'editLabels')
        return async (number: number, add: string[], remove: string[]) => {
          const before = await target.getIssue(number);
          const after = await target.editLabels(number, add, remove);
          await blockedNow(before, after);
          return after;
        };
      if (prop === 'updateIssue')
        return async (number: number, patch: Parameters<Tracker['updateIssue']>[1]) => {
          const before = await target.getIssue(number);
          const after = await target.updateIssue(number, patch);
          await blockedNow(before, after);
          return after;
        };
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
