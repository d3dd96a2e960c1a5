/**
 * What the terminal dashboard's keys do to an agent (terminal.ts): the command that attaches to its
 * session, a line typed into it, a restart (its program again in its pane, resuming, with its brief;
 * recorded as a `restart` event), and its branch's diff against the base. All of it acts on what
 * `llm-crew up` recorded in runtime.json, as `attach`, `send` and the supervisor do.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError } from 'llm-scratch-core/errors';
import { run } from '../agents/exec.js';
import { launchAgent } from '../agents/launch.js';
import { briefFile, readRuntime, type RuntimeState } from '../agents/layout.js';
import { Tmux } from '../agents/tmux.js';
import type { Tracker } from '../tracker/index.js';

export interface DashboardActions {
  /** The shell command that attaches a terminal to the agent's session. */
  attachCommand(agent: string): string;
  /** Types a line into the agent's session; says what it did. */
  send(agent: string, text: string): Promise<string>;
  restart(agent: string): Promise<string>;
  /** The agent's branch against the base: a summary of the files, then the patch. */
  diff(agent: string): Promise<string>;
}

export interface CrewActionsOptions {
  /** crew.yaml's directory. */
  dir: string;
  planFile: string;
  tracker: Tracker;
  env?: NodeJS.ProcessEnv;
}

// The dashboard shows the start of a diff; the whole one is a git command away.
const DIFF_LINES = 400;

export function crewActions(o: CrewActionsOptions): DashboardActions {
  const state = (): RuntimeState => {
    const s = readRuntime(o.dir);
    if (!s)
      throw new UserError('the crew is not running here (no .crew/runtime.json); start it with llm-crew up');
    return s;
  };
  const agentOf = (agent: string) => {
    const s = state();
    const rt = s.agents[agent];
    if (!rt) throw new UserError(`agent '${agent}' was not started by llm-crew up`);
    return { s, rt, tmux: new Tmux(s.socket, o.env) };
  };
  const live = async (agent: string) => {
    const a = agentOf(agent);
    if (!(await a.tmux.hasSession(a.rt.session)))
      throw new UserError(`agent '${agent}': no session '${a.rt.session}'; run llm-crew up`);
    return a;
  };
  return {
    attachCommand(agent) {
      const { s, rt } = agentOf(agent);
      const quote = (w: string) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);
      return ['tmux', ...(s.socket ? ['-L', s.socket] : []), 'attach-session', '-t', `=${rt.session}`]
        .map(quote)
        .join(' ');
    },
    async send(agent, text) {
      const { rt, tmux } = await live(agent);
      await tmux.paste(rt.session, text);
      return `sent ${text.length} characters to ${rt.session}`;
    },
    async restart(agent) {
      const { s, rt, tmux } = await live(agent);
      const file = briefFile(o.dir, agent);
      let prompt: string;
      try {
        prompt = readFileSync(file, 'utf8');
      } catch {
        throw new UserError(`${file}: the brief is missing; run llm-crew up again to write it`);
      }
      await launchAgent(tmux, {
        agent,
        rt,
        dir: o.dir,
        planFile: resolve(o.planFile),
        promptFile: file,
        prompt,
        resume: true,
        self: s.self,
        repo: s.repo,
        socket: s.socket,
        env: o.env,
      });
      await o.tracker.addEvent({
        agent,
        kind: 'restart',
        message: 'restarted by the coordinator (dashboard)',
        data: { by: 'coordinator' },
      });
      return `restarted ${agent} in ${rt.session}`;
    },
    async diff(agent) {
      const { s, rt } = agentOf(agent);
      const range = `${s.base}...${rt.branch}`;
      const git = (...args: string[]) => run('git', args, { cwd: s.repo, env: o.env });
      const [stat, patch] = await Promise.all([
        git('diff', '--stat', range),
        git('diff', '--no-color', range),
      ]);
      if (stat.code !== 0)
        throw new UserError(`git diff ${range}: ${stat.stderr.trim().split('\n')[0] ?? 'failed'}`);
      if (stat.stdout.trim() === '') return `${rt.branch} has no changes against ${s.base}`;
      const lines = patch.stdout.trimEnd().split('\n');
      const more =
        lines.length > DIFF_LINES ? `\n… ${lines.length - DIFF_LINES} more lines: git diff ${range}` : '';
      return `${stat.stdout.trimEnd()}\n\n${lines.slice(0, DIFF_LINES).join('\n')}${more}`;
    },
  };
}
