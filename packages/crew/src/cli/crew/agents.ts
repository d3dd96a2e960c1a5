// llm-crew up | status | attach | send | logs | down | supervise: thin commands over src/crew/agents.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { UsageError, UserError } from 'llm-scratch-core/errors';
import { collectStatus } from '../../crew/agents/status.js';
import { loadPlan } from '../../crew/plan/index.js';
import { crewDown } from '../../crew/agents/down.js';
import { crewUp } from '../../crew/agents/up.js';
import { logFile, readRuntime, requireRuntime } from '../../crew/agents/layout.js';
import { DEFAULT_SETTINGS, Supervisor } from '../../crew/agents/supervisor.js';
import { sessionOwner } from '../../crew/agents/running.js';
import { Tmux } from '../../crew/agents/tmux.js';
import { requireTools, startFailure } from '../../crew/agents/exec.js';
import type { AgentStatus } from '../../crew/agents/types.js';
import { defineCommand } from 'llm-scratch-core/cli/command';
import { oneAgent, runtimeOptions, selfCommand, withCrew } from './runtime-context.js';

function noPositionals(positionals: string[]): void {
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
}

/** The session of an agent `up` started (or the plan's, before any up). */
function agentSession(dir: string, agents: { id: string; session: string }[], agent: string): string {
  const known = agents.find((a) => a.id === agent);
  if (!known)
    throw new UserError(`no agent '${agent}' in the plan (agents: ${agents.map((a) => a.id).join(', ')})`);
  return readRuntime(dir)?.agents[agent]?.session ?? known.session;
}

const socketFor = (dir: string, socket: string | undefined) => socket ?? readRuntime(dir)?.socket ?? null;

/** The agent's session, made by this crew: none, or someone else's of its name, is a UserError. */
async function requireCrewSession(tmux: Tmux, dir: string, agent: string, session: string): Promise<void> {
  const owner = await sessionOwner(tmux, dir, session);
  if (owner === null) throw new UserError(`agent '${agent}': no session '${session}'; run llm-crew up`);
  if (owner === 'foreign')
    throw new UserError(
      `agent '${agent}': session '${session}' was not started by this crew; leaving it alone (llm-crew status shows it as foreign)`,
    );
}

export const upCommand = defineCommand({
  name: 'up',
  summary:
    "Start the crew: the plan, chunks and briefs committed, a worktree and a tmux session per agent, the coordinator's session (supervisor); refused while it runs",
  usage: '[--agents A,B] [--command CMD] [--no-worktrees] [--socket NAME]',
  options: {
    ...runtimeOptions,
    agents: { type: 'string', value: 'A,B', description: 'only these agents (default: all)' },
    command: {
      type: 'string',
      value: 'CMD',
      description: "run CMD for every agent instead of the plan's commands",
    },
    'no-dashboard': {
      type: 'boolean',
      description: "leave the dashboard out of the coordinator's session (the supervisor still runs)",
    },
    'no-worktrees': {
      type: 'boolean',
      description:
        'agents work in the repository itself, on its branch, instead of worktrees on crew/<agent>',
    },
    interval: {
      type: 'number',
      value: 'S',
      description: "seconds between the supervisor's looks",
      default: 5,
      above: 0,
    },
    backoff: {
      type: 'number',
      value: 'S',
      description: "the supervisor's first restart delay, doubled each time",
      default: DEFAULT_SETTINGS.backoffS,
      min: 0,
    },
    json: { type: 'boolean', description: 'print the result as JSON' },
  },
  examples: [
    'llm-crew up',
    'llm-crew up --agents foundation --command ./scripts/try-agent.sh',
    'tmux attach -t llm-coordinator',
  ],
  async run({ options, positionals, stdout, stderr }) {
    noPositionals(positionals);
    const result = await withCrew(options, stderr, async (ctx, tracker) => {
      // index.ts imports this file: read the command list at run time, once both are loaded.
      const { crewCommands } = await import('./index.js');
      const dashboard = !options['no-dashboard'] && crewCommands.some((c) => c.name === 'dashboard');
      return crewUp({
        ctx,
        tracker,
        agents: options.agents
          ?.split(',')
          .map((a) => a.trim())
          .filter(Boolean),
        command: options.command,
        socket: options.socket ?? null,
        worktrees: !options['no-worktrees'],
        self: selfCommand(),
        superviseArgs: ['--interval', String(options.interval), '--backoff', String(options.backoff)],
        coordinatorWindows: dashboard ? [{ name: 'dashboard', args: ['dashboard'] }] : [],
      });
    });
    for (const w of result.warnings) stderr(`warning: ${w}\n`);
    if (options.json) {
      stdout(JSON.stringify(result, null, 2) + '\n');
      return;
    }
    const attach = `tmux ${result.socket ? `-L ${result.socket} ` : ''}attach -t llm-coordinator`;
    const commit = result.committed;
    stdout(
      [
        ...(commit
          ? [
              `committed ${commit.sha}: ${commit.files.length} files the agents need (${commit.files.slice(0, 3).join(', ')}${commit.files.length > 3 ? ', ...' : ''})`,
            ]
          : []),
        ...result.started.map((a) => `started  ${a}`),
        ...result.alreadyRunning.map((a) => `running  ${a} (already)`),
        `coordinator: ${result.coordinator}; ${attach}`,
      ].join('\n') + '\n',
    );
  },
});

function age(s: number | null): string {
  if (s === null) return '-';
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}

function statusLine(s: AgentStatus): string {
  const state = s.state === 'running' && s.waitingForInput ? 'waiting' : s.state;
  const issue = s.issue ? `#${s.issue.number} ${s.issue.title}` : '-';
  const commit = s.lastCommit
    ? `${s.lastCommit.sha} ${s.lastCommit.subject} (${age(s.lastCommit.ageSeconds)} ago)`
    : '-';
  return [
    `${s.agent}  ${state}${s.pid ? ` pid ${s.pid}` : ''}  session ${s.session}  idle ${age(s.idleSeconds)}  restarts ${s.restarts}`,
    `  issue ${issue}`,
    `  branch ${s.branch ?? '-'}  ahead ${s.ahead ?? '-'}  uncommitted ${s.dirtyFiles}  last ${commit}`,
  ].join('\n');
}

export const statusCommand = defineCommand({
  name: 'status',
  summary:
    "Each agent's session and process, idle time, waiting for input, issue, branch, commits and changes",
  usage: '[--json]',
  options: { ...runtimeOptions, json: { type: 'boolean', description: 'print AgentStatus[] as JSON' } },
  examples: ['llm-crew status', 'llm-crew status --json'],
  async run({ options, positionals, stdout, stderr }) {
    noPositionals(positionals);
    await requireTools(['tmux', 'git']);
    const statuses = await withCrew(options, stderr, (ctx, tracker) =>
      collectStatus({ plan: ctx.plan, repoDir: ctx.dir, socket: options.socket, tracker }),
    );
    if (options.json) stdout(JSON.stringify(statuses, null, 2) + '\n');
    else stdout(statuses.map(statusLine).join('\n') + '\n');
  },
});

export const attachCommand = defineCommand({
  name: 'attach',
  summary: "Attach this terminal to an agent's tmux session (detach with C-b d)",
  usage: 'AGENT',
  options: { plan: runtimeOptions.plan, socket: runtimeOptions.socket },
  examples: ['llm-crew attach foundation'],
  async run({ options, positionals }) {
    const agent = oneAgent(positionals);
    const ctx = loadPlan(options.plan, { check: false });
    const session = agentSession(ctx.dir, ctx.plan.agents, agent);
    const socket = socketFor(ctx.dir, options.socket);
    const tmux = new Tmux(socket);
    await requireCrewSession(tmux, ctx.dir, agent, session);
    const args = [
      ...(socket ? ['-L', socket] : []),
      process.env.TMUX ? 'switch-client' : 'attach-session',
      '-t',
      `=${session}`,
    ];
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn('tmux', args, { stdio: 'inherit' });
      child.on('error', (err) => reject(startFailure('tmux', err)));
      child.on('close', (c) => resolve(c ?? 1));
    });
    if (code !== 0) throw new UserError(`tmux ${args.join(' ')} exited with ${code}`);
  },
});

export const sendCommand = defineCommand({
  name: 'send',
  summary: "Type TEXT into an agent's session (a bracketed paste, then Enter)",
  usage: 'AGENT TEXT',
  options: { ...runtimeOptions, json: { type: 'boolean', description: 'print the result as JSON' } },
  examples: ['llm-crew send foundation "Run the tests before you commit."'],
  async run({ options, positionals, stdout }) {
    const agent = oneAgent(positionals);
    if (positionals.length < 2) throw new UsageError('missing the TEXT to send');
    const text = positionals.slice(1).join(' ');
    const ctx = loadPlan(options.plan, { check: false });
    const session = agentSession(ctx.dir, ctx.plan.agents, agent);
    const tmux = new Tmux(socketFor(ctx.dir, options.socket));
    await requireCrewSession(tmux, ctx.dir, agent, session);
    await tmux.paste(session, text);
    if (options.json) stdout(JSON.stringify({ agent, session, chars: text.length }) + '\n');
    else stdout(`sent ${text.length} characters to ${session}\n`);
  },
});

// Colour, cursor and mode sequences, so that a log reads as text.
const ANSI =
  // eslint-disable-next-line no-control-regex
  /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-B]|\x1b[=>78]|\r(?!\n)/g;

export const logsCommand = defineCommand({
  name: 'logs',
  summary: "An agent's pane output, kept in .crew/logs/AGENT.log through tmux pipe-pane",
  usage: 'AGENT [--lines N] [--follow] [--raw]',
  options: {
    plan: runtimeOptions.plan,
    lines: { type: 'integer', value: 'N', description: 'the last N lines (0: all)', default: 100, min: 0 },
    follow: { type: 'boolean', description: 'keep printing what the agent prints (Ctrl-C stops)' },
    raw: { type: 'boolean', description: 'keep terminal escape sequences' },
  },
  examples: ['llm-crew logs foundation', 'llm-crew logs foundation --follow'],
  async run({ options, positionals, stdout }) {
    const agent = oneAgent(positionals);
    const ctx = loadPlan(options.plan, { check: false });
    agentSession(ctx.dir, ctx.plan.agents, agent);
    const file = logFile(ctx.dir, agent);
    if (!existsSync(file))
      throw new UserError(
        `agent '${agent}': no log yet (${file}); it is written once llm-crew up starts the agent`,
      );
    const clean = (t: string) => (options.raw ? t : t.replace(ANSI, ''));
    const text = readFileSync(file, 'utf8');
    const lines = clean(text).split('\n');
    stdout((options.lines > 0 ? lines.slice(-options.lines - 1) : lines).join('\n'));
    if (!options.follow) return;
    let offset = Buffer.byteLength(text);
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const size = statSync(file).size;
        if (size > offset) {
          stdout(clean(readFileSync(file).subarray(offset, size).toString('utf8')));
          offset = size;
        }
      }, 500);
      process.once('SIGINT', () => {
        clearInterval(timer);
        resolve();
      });
    });
  },
});

export const downCommand = defineCommand({
  name: 'down',
  summary:
    'Stop every session of the crew; worktrees with uncommitted changes or processes still in them are kept and reported (exit 1 for a process)',
  usage: '[--keep-worktrees]',
  options: {
    ...runtimeOptions,
    'keep-worktrees': {
      type: 'boolean',
      description: 'keep every worktree (default: remove the clean ones)',
    },
    json: { type: 'boolean', description: 'print the result as JSON' },
  },
  examples: ['llm-crew down', 'llm-crew down --keep-worktrees'],
  async run({ options, positionals, stdout, stderr }) {
    noPositionals(positionals);
    await requireTools(['tmux', 'git']);
    const result = await withCrew(options, stderr, (ctx, tracker) =>
      crewDown({
        dir: ctx.dir,
        tracker,
        keepWorktrees: options['keep-worktrees'] === true,
        socket: options.socket,
      }),
    );
    const lines = [
      `stopped ${result.stopped.length} sessions${result.stopped.length ? `: ${result.stopped.join(', ')}` : ''}`,
    ];
    for (const f of result.foreign)
      lines.push(
        `left ${f.session}: this crew did not start it${f.agent ? ` (agent ${f.agent}'s name)` : ''}`,
      );
    for (const r of result.running)
      lines.push(
        `kept ${r.worktree}: ${r.processes.length} processes still run in it (${r.processes
          .slice(0, 3)
          .map((p) => `pid ${p.pid} ${p.command}`.trim())
          .join('; ')})`,
      );
    for (const d of result.dirty)
      lines.push(
        `kept ${d.worktree}: ${d.agent} has ${d.files.length} uncommitted files (${d.files.slice(0, 5).join(', ')}${d.files.length > 5 ? ', ...' : ''})`,
      );
    if (result.removedWorktrees.length)
      lines.push(`removed ${result.removedWorktrees.length} clean worktrees (branches kept)`);
    stdout(options.json ? JSON.stringify(result, null, 2) + '\n' : lines.join('\n') + '\n');
    if (result.running.length > 0)
      throw new UserError(
        `${result.running.map((r) => r.agent).join(', ')}: processes still run in ${result.running.length === 1 ? 'its worktree' : 'their worktrees'}, kept (${result.running[0]!.worktree}: pid ${result.running[0]!.processes.map((p) => p.pid).join(', ')}); stop them and run llm-crew down again`,
      );
  },
});

export const superviseCommand = defineCommand({
  name: 'supervise',
  summary:
    "Watch the agents: record each one's state (working, waiting for input, done, exited, hung) and restart an exited (killed, or its session gone) or hung one with backoff and a recovery brief; a session of its name this crew did not start is reported, not touched (the coordinator's session runs it)",
  usage: '[--interval S] [--silent-after S] [--max-restarts N] [--backoff S] [--debounce S] [--once]',
  options: {
    plan: runtimeOptions.plan,
    db: runtimeOptions.db,
    socket: runtimeOptions.socket,
    interval: { type: 'number', value: 'S', description: 'seconds between looks', default: 5, above: 0 },
    'silent-after': {
      type: 'number',
      value: 'S',
      description:
        'seconds without output or hook report before a working agent counts as hung and is restarted (never one that finished or waits for input)',
      default: DEFAULT_SETTINGS.silentAfterS,
      above: 0,
    },
    'max-restarts': {
      type: 'integer',
      value: 'N',
      description: 'restarts before giving up and labelling the issue blocked',
      default: DEFAULT_SETTINGS.maxRestarts,
      min: 0,
    },
    backoff: {
      type: 'number',
      value: 'S',
      description: 'first restart delay, doubled each time',
      default: DEFAULT_SETTINGS.backoffS,
      min: 0,
    },
    'backoff-max': {
      type: 'number',
      value: 'S',
      description: 'longest restart delay',
      default: DEFAULT_SETTINGS.backoffMaxS,
      min: 0,
    },
    debounce: {
      type: 'number',
      value: 'S',
      description: 'seconds a screen must stay unchanged before its prompt counts (agents without hooks)',
      default: DEFAULT_SETTINGS.debounceS,
      min: 0,
    },
    once: { type: 'boolean', description: 'look once and exit' },
  },
  examples: ['llm-crew supervise', 'llm-crew supervise --silent-after 900 --max-restarts 3'],
  async run({ options, positionals, stderr }) {
    noPositionals(positionals);
    await withCrew(options, stderr, async (ctx, tracker) => {
      const state = requireRuntime(ctx.dir);
      if (options.socket !== undefined) state.socket = options.socket;
      const supervisor = new Supervisor({
        ctx,
        state,
        tracker,
        settings: {
          silentAfterS: options['silent-after'],
          maxRestarts: options['max-restarts'],
          backoffS: options.backoff,
          backoffMaxS: options['backoff-max'],
          debounceS: options.debounce,
        },
        log: (line) => stderr(`${line}\n`),
      });
      stderr(`supervising ${Object.keys(state.agents).join(', ')} every ${options.interval} s\n`);
      // A signal (down kills the coordinator's session: SIGHUP) ends the wait between looks at
      // once, not after --interval seconds; one during a look ends the loop after it.
      const stopping = new AbortController();
      const onSignal = () => stopping.abort();
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      process.once('SIGHUP', onSignal);
      for (;;) {
        const fresh = readRuntime(ctx.dir) ?? state;
        if (options.socket !== undefined) fresh.socket = options.socket;
        await supervisor.tick(fresh);
        if (options.once || stopping.signal.aborted) break;
        await sleep(options.interval * 1000, undefined, { signal: stopping.signal }).catch(() => {});
        if (stopping.signal.aborted) break;
      }
    });
  },
});

export const agentCommands = [
  upCommand,
  statusCommand,
  attachCommand,
  sendCommand,
  logsCommand,
  downCommand,
  superviseCommand,
];
