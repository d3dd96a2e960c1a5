// llm-crew hook PROGRAM [PAYLOAD]: what an agent program's own hooks run (Claude Code and Gemini
// CLI hooks, Codex's notify, aider's notifications command). It records the state the payload
// reports as a `hook` event in the crew's tracker and prints nothing: Claude Code adds a hook's
// output to the conversation.
import { UsageError, UserError } from 'llm-scratch-core/errors';
import { hookEvent } from '../../crew/agents/hooks/report.js';
import { PROGRAMS, profileNamed, type ProgramName } from '../../crew/agents/profiles/index.js';
import { defineCommand } from 'llm-scratch-core/cli/command';
import { trackerOptions, withTracker } from './issues.js';

async function readStdin(): Promise<string> {
  // A terminal on stdin means no payload was piped: reading would wait for the user.
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export const hookCommand = defineCommand({
  name: 'hook',
  summary: "Record an agent's state reported by its program's own hooks (run by the program, not by hand)",
  usage: `PROGRAM [PAYLOAD]   (PROGRAM: ${PROGRAMS.join('|')}; the payload as an argument or JSON on stdin)`,
  options: {
    plan: trackerOptions.plan,
    db: trackerOptions.db,
    agent: {
      type: 'string',
      value: 'ID',
      description: 'the agent (default: $LLM_CREW_AGENT, set in its session)',
    },
  },
  examples: [
    `echo '{"hook_event_name":"Stop"}' | llm-crew hook claude --agent foundation`,
    `llm-crew hook codex '{"type":"agent-turn-complete"}'`,
    'llm-crew hook plain idle-done',
  ],
  async run({ options, positionals, stderr }) {
    const program = positionals[0];
    if (program === undefined) throw new UsageError(`missing the PROGRAM (${PROGRAMS.join(', ')})`);
    if (positionals.length > 2) throw new UsageError(`unexpected argument '${positionals[2]}'`);
    if (!(PROGRAMS as readonly string[]).includes(program))
      throw new UsageError(`unknown PROGRAM '${program}' (programs: ${PROGRAMS.join(', ')})`);
    const agent = options.agent ?? process.env.LLM_CREW_AGENT ?? process.env.CREW_AGENT;
    if (!agent)
      throw new UserError(
        "no agent: LLM_CREW_AGENT is not set (the crew sets it in an agent's session); pass --agent ID",
      );
    const from = profileNamed(program as ProgramName).hookPayload;
    const raw = positionals[1] ?? (from === 'stdin' ? await readStdin() : '');
    const event = hookEvent(program, agent, raw);
    if (!event) return;
    await withTracker(
      options,
      stderr,
      async (tracker, plan) => {
        if (plan && !plan.agents.some((a) => a.id === agent))
          throw new UserError(
            `--agent: no agent '${agent}' in the plan (agents: ${plan.agents.map((a) => a.id).join(', ')})`,
          );
        await tracker.addEvent(event);
      },
      { existing: true },
    );
  },
});
