/**
 * Acceptance checks: each task's `accept` command and each integration point's `test`, run on a
 * commit (an agent's branch head, or the merged result of `llm-crew test`), one run per distinct
 * command. Every result is a `check` event in the tracker with the status it had before, so that a
 * check turning red is an event of its own (notify hooks hear it) and the dashboards and the
 * report can draw checks passing over time.
 */
import { issueGraph, type Plan } from '../plan/index.js';
import type { Tracker } from '../tracker/index.js';
import { run } from './exec.js';
import type { CrewEvent } from './types.js';
import { splitWords } from './words.js';

export type CheckStatus = 'passed' | 'failed' | 'conflict';
/** Where a check ran: an agent's branch, or the merged result of `llm-crew test`. */
export type CheckScope = 'branch' | 'merge';

export interface Check {
  /** The tracker key of the issue it accepts: task/<milestone>/<deliverable> or integration/<id>. */
  key: string;
  kind: 'task' | 'integration';
  agent: string | null;
  milestone: string;
  command: string;
}

export interface CheckResult extends Check {
  status: CheckStatus;
  exitCode: number | null;
  /** The end of the command's output. */
  output: string;
}

/** Data of a `check` event (docs/crew-agents.md). */
export interface CheckEventData extends Record<string, unknown> {
  scope: CheckScope;
  key: string;
  kind: 'task' | 'integration';
  milestone: string;
  command: string;
  status: CheckStatus;
  exitCode: number | null;
  sha: string;
  /** The status of the same check in the same scope (and branch) the time before; null the first time. */
  previous: CheckStatus | null;
  /** Failed now after passing (or never having run): what notify hooks call check-red. */
  turnedRed: boolean;
}

/** The plan's checks: every task with an `accept` command, every integration point. */
export function planChecks(plan: Plan): Check[] {
  return issueGraph(plan)
    .filter((g) => g.accept)
    .map((g) => ({ key: g.key, kind: g.kind, agent: g.agent, milestone: g.milestone, command: g.accept! }));
}

const tail = (text: string, lines = 20) => text.trimEnd().split('\n').slice(-lines).join('\n');

/** Runs each distinct command once in dir; a command that cannot start fails with its reason. */
export async function runChecks(
  checks: Check[],
  dir: string,
  o: { timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<CheckResult[]> {
  const runs = new Map<string, { code: number; output: string }>();
  const results: CheckResult[] = [];
  for (const c of checks) {
    let r = runs.get(c.command);
    if (!r) {
      const argv = splitWords(c.command);
      // One after the other: checks of one project share its files and ports.
      const done = await run(argv[0]!, argv.slice(1), { cwd: dir, env: o.env, timeoutMs: o.timeoutMs }).catch(
        (err: Error) => ({ code: 127, stdout: '', stderr: err.message }),
      );
      r = { code: done.code, output: tail(`${done.stdout}\n${done.stderr}`) };
      runs.set(c.command, r);
    }
    results.push({
      ...c,
      status: r.code === 0 ? 'passed' : 'failed',
      exitCode: r.code,
      output: r.output,
    });
  }
  return results;
}

const sameCheck = (d: CheckEventData, scope: CheckScope, key: string) => d.scope === scope && d.key === key;

/** Records each result as a `check` event; returns the events. */
export async function recordChecks(
  tracker: Tracker,
  results: CheckResult[],
  scope: CheckScope,
  sha: string,
  where: string,
): Promise<CrewEvent[]> {
  const before = await tracker.listEvents({ kind: 'check' });
  const events: CrewEvent[] = [];
  for (const r of results) {
    const last = [...before]
      .reverse()
      .find((e) => e.data && sameCheck(e.data as CheckEventData, scope, r.key) && e.agent === r.agent);
    const previous = last ? (last.data as CheckEventData).status : null;
    const data: CheckEventData = {
      scope,
      key: r.key,
      kind: r.kind,
      milestone: r.milestone,
      command: r.command,
      status: r.status,
      exitCode: r.exitCode,
      sha,
      previous,
      turnedRed: r.status === 'failed' && previous !== 'failed',
    };
    events.push(
      await tracker.addEvent({
        agent: r.agent,
        kind: 'check',
        message: `${r.key}: \`${r.command}\` ${r.status} on ${where} (${sha.slice(0, 7)})${data.turnedRed ? ', turned red' : ''}`,
        data,
      }),
    );
  }
  return events;
}
