// The agents' state: each program's hook payloads mapped to a state (payloads in the shapes the
// programs send: Claude Code's hook_event_name and notification_type, Codex's notify JSON, Gemini
// CLI's hook events), and the state machine that combines hooks, the pane and the screen.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hookEvent } from '../../../src/crew/agents/hooks/report.js';
import { agentState, AGENT_STATES, type StateInput } from '../../../src/crew/agents/hooks/state.js';
import { PROFILES } from '../../../src/crew/agents/profiles/index.js';
import { llmCrew } from '../../../src/cli/llm-crew.js';
import { LocalTracker } from '../../../src/crew/tracker/index.js';
import { UserError } from 'llm-scratch-core/errors';
import { runCli } from '../../../../../test/helpers/cli.js';
import { llmBook, SEED_YAML } from '../plan/fixtures.js';

const stateOf = (program: string, payload: unknown) =>
  hookEvent(program, 'a', typeof payload === 'string' ? payload : JSON.stringify(payload))?.data.state ??
  null;

describe('hook payloads', () => {
  it('claude: prompts and tools are work, Stop and the idle notification the end, permission a question', () => {
    const base = { session_id: 's', transcript_path: '/t.jsonl', cwd: '/w' };
    expect(stateOf('claude', { ...base, hook_event_name: 'UserPromptSubmit', prompt: 'go' })).toBe('working');
    expect(stateOf('claude', { ...base, hook_event_name: 'PreToolUse', tool_name: 'Bash' })).toBe('working');
    expect(stateOf('claude', { ...base, hook_event_name: 'PostToolUse', tool_name: 'Write' })).toBe(
      'working',
    );
    expect(stateOf('claude', { ...base, hook_event_name: 'Stop', stop_hook_active: false })).toBe(
      'idle-done',
    );
    expect(stateOf('claude', { ...base, hook_event_name: 'PermissionRequest', tool_name: 'Bash' })).toBe(
      'waiting-for-input',
    );
    expect(
      stateOf('claude', {
        ...base,
        hook_event_name: 'Notification',
        notification_type: 'permission_prompt',
        message: 'Claude needs your permission to use Bash',
      }),
    ).toBe('waiting-for-input');
    expect(
      stateOf('claude', {
        ...base,
        hook_event_name: 'Notification',
        notification_type: 'idle_prompt',
        message: 'Claude is waiting for your input',
      }),
    ).toBe('idle-done');
    expect(stateOf('claude', { ...base, hook_event_name: 'SessionStart', source: 'startup' })).toBeNull();
    const e = hookEvent('claude', 'foundation', JSON.stringify({ hook_event_name: 'Stop' }))!;
    expect(e).toEqual({
      agent: 'foundation',
      kind: 'hook',
      message: 'idle-done (claude Stop)',
      data: { state: 'idle-done', program: 'claude', event: 'Stop' },
    });
  });

  it('codex: agent-turn-complete ends a turn, approval-requested asks', () => {
    const turn = {
      type: 'agent-turn-complete',
      'thread-id': 't',
      'turn-id': '1',
      cwd: '/w',
      'input-messages': ['go'],
      'last-assistant-message': 'Done.',
    };
    expect(stateOf('codex', turn)).toBe('idle-done');
    expect(stateOf('codex', { type: 'approval-requested' })).toBe('waiting-for-input');
    expect(stateOf('codex', { type: 'something-new' })).toBeNull();
  });

  it('gemini: BeforeAgent and tools are work, AfterAgent the end, a ToolPermission notification a question', () => {
    expect(stateOf('gemini', { hook_event_name: 'BeforeAgent', prompt: 'go' })).toBe('working');
    expect(stateOf('gemini', { hook_event_name: 'BeforeTool', tool_name: 'run_shell_command' })).toBe(
      'working',
    );
    expect(stateOf('gemini', { hook_event_name: 'AfterAgent' })).toBe('idle-done');
    expect(stateOf('gemini', { hook_event_name: 'Notification', notification_type: 'ToolPermission' })).toBe(
      'waiting-for-input',
    );
    expect(stateOf('gemini', { hook_event_name: 'SessionStart' })).toBeNull();
  });

  it('aider: its notifications command (no payload) is the end of a turn; opencode has no hook; plain says it in a word', () => {
    expect(stateOf('aider', '')).toBe('idle-done');
    expect(stateOf('opencode', '{}')).toBeNull();
    expect(stateOf('plain', 'waiting-for-input')).toBe('waiting-for-input');
    expect(stateOf('plain', { state: 'working' })).toBe('working');
    expect(stateOf('plain', 'hung')).toBeNull();
  });

  it('refuses an unknown program and a payload that is not JSON, naming them', () => {
    expect(() => hookEvent('cursor', 'a', '')).toThrow(/unknown program 'cursor'/);
    expect(() => hookEvent('claude', 'a', '{"hook_event_name": ')).toThrow(UserError);
    expect(() => hookEvent('claude', 'a', 'Stop')).toThrow(/hook claude: the payload is not JSON/);
  });
});

const NOW = 1_000_000;
const look = (over: Partial<StateInput>): StateInput => ({
  profile: PROFILES.claude,
  dead: false,
  nowS: NOW,
  lastOutputS: NOW - 1,
  screen: '',
  hook: null,
  silentAfterS: 600,
  debounceS: 3,
  ...over,
});

describe('the state machine', () => {
  it('a dead pane is exited whatever the hooks said', () => {
    expect(agentState(look({ dead: true, hook: { state: 'working', atS: NOW } }))).toEqual({
      state: 'exited',
      source: 'pane',
    });
  });

  it('hooks decide for programs that report their work: a finished agent is never hung', () => {
    const done = { state: 'idle-done' as const, atS: NOW - 5000 };
    expect(agentState(look({ hook: done, lastOutputS: NOW - 5000 }))).toEqual({
      state: 'idle-done',
      source: 'hook',
    });
    const asking = { state: 'waiting-for-input' as const, atS: NOW - 5000 };
    expect(agentState(look({ hook: asking, lastOutputS: NOW - 5000 })).state).toBe('waiting-for-input');
    const working = { state: 'working' as const, atS: NOW - 700 };
    expect(agentState(look({ hook: working, lastOutputS: NOW - 700 }))).toEqual({
      state: 'hung',
      source: 'hook',
    });
    // A tool that prints nothing for long, but whose hook fired recently, is work.
    expect(
      agentState(look({ hook: { state: 'working', atS: NOW - 10 }, lastOutputS: NOW - 700 })).state,
    ).toBe('working');
  });

  it('for programs that report only the end of a turn, output after the report means work again', () => {
    const codex = PROFILES.codex;
    const done = { state: 'idle-done' as const, atS: NOW - 100 };
    expect(agentState(look({ profile: codex, hook: done, lastOutputS: NOW - 99 })).state).toBe('idle-done');
    expect(agentState(look({ profile: codex, hook: done, lastOutputS: NOW - 50 }))).toEqual({
      state: 'working',
      source: 'screen',
    });
  });

  it('the screen decides without hooks, once it stood still for the debounce', () => {
    const question = 'Do you want to proceed?\n❯ 1. Yes\n  2. No';
    expect(agentState(look({ screen: question, lastOutputS: NOW - 1 })).state).toBe('working');
    expect(agentState(look({ screen: question, lastOutputS: NOW - 3 }))).toEqual({
      state: 'waiting-for-input',
      source: 'screen',
    });
    expect(agentState(look({ screen: '│ > │\n? for shortcuts', lastOutputS: NOW - 5000 })).state).toBe(
      'idle-done',
    );
    expect(agentState(look({ screen: 'compiling', lastOutputS: NOW - 601 })).state).toBe('hung');
    // Plain programs: a line ending in '?' is not a question.
    expect(agentState(look({ profile: PROFILES.plain, screen: 'Done?', lastOutputS: NOW - 601 })).state).toBe(
      'hung',
    );
  });

  it('only exited and hung agents are restarted: waiting and done are never hung, however long', () => {
    const states = fc.constantFrom('working', 'waiting-for-input', 'idle-done') as fc.Arbitrary<
      'working' | 'waiting-for-input' | 'idle-done'
    >;
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.values(PROFILES)),
        fc.boolean(),
        fc.option(fc.record({ state: states, ago: fc.integer({ min: 0, max: 10_000 }) }), { nil: null }),
        fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: null }),
        fc.constantFrom(
          '',
          'Do you want to proceed?\n❯ 1. Yes',
          '? for shortcuts',
          'esc to interrupt',
          'x? (y/n)',
        ),
        (profile, dead, hook, quiet, screen) => {
          const v = agentState(
            look({
              profile,
              dead,
              hook: hook ? { state: hook.state, atS: NOW - hook.ago } : null,
              lastOutputS: quiet === null ? null : NOW - quiet,
              screen,
            }),
          );
          expect(AGENT_STATES).toContain(v.state);
          if (dead) expect(v.state).toBe('exited');
          if (v.state === 'hung') {
            // Hung only after silence past the threshold, from the pane and the hooks alike.
            expect(quiet === null || quiet > 600).toBe(true);
            expect(hook === null || hook.ago > 600 || v.source === 'screen').toBe(true);
          }
          if (!dead && hook && profile.hooks === 'all' && hook.state !== 'working')
            expect(v.state).toBe(hook.state);
        },
      ),
      { seed: 42, numRuns: 500 },
    );
  });
});

describe('llm-crew hook', () => {
  it('records the state a hook reports in the tracker, and nothing when it says none; refuses an agent not in the plan', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crew-hook-'));
    writeFileSync(join(dir, 'structure.json'), JSON.stringify(llmBook()));
    writeFileSync(join(dir, 'crew.yaml'), SEED_YAML);
    const db = join(dir, 'tracker.db');
    await new LocalTracker(db).close();
    const plan = join(dir, 'crew.yaml');
    const hook = (...args: string[]) => runCli(llmCrew, ['hook', ...args, '--plan', plan, '--db', db]);
    const stop = await hook('claude', '{"hook_event_name":"Stop","session_id":"s"}', '--agent', 'training');
    expect(stop).toEqual({ code: 0, stdout: '', stderr: '' });
    expect((await hook('claude', '{"hook_event_name":"SessionStart"}', '--agent', 'training')).code).toBe(0);
    expect((await hook('codex', '{"type":"approval-requested"}', '--agent', 'training')).code).toBe(0);
    const tracker = new LocalTracker(db);
    try {
      const events = await tracker.listEvents({ kind: 'hook' });
      expect(events.map((e) => [e.agent, e.data?.state, e.data?.event])).toEqual([
        ['training', 'idle-done', 'Stop'],
        ['training', 'waiting-for-input', 'approval-requested'],
      ]);
    } finally {
      await tracker.close();
    }
    const stranger = await hook('plain', 'working', '--agent', 'nobody');
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toContain("--agent: no agent 'nobody' in the plan");
  });
});
