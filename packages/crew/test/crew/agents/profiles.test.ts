// The agent profiles: what each passes to its program, and that every flag it passes exists in the
// installed program (its --help), since a wrong flag makes the agent exit at once in every session.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  PERMISSIONS,
  PROFILES,
  PROGRAMS,
  profileNamed,
  readScreen,
  type LaunchInput,
  type ProgramName,
} from '../../../src/crew/agents/profiles/index.js';
import { installedProgram, programArgv } from './programs.js';

const exec = promisify(execFile);
const HOOK = ['/usr/bin/node', '/opt/llm crew/llm-crew.js', 'hook'];

const input = (over: Partial<LaunchInput> = {}): LaunchInput => ({
  argv: ['prog'],
  promptFile: '/crew/briefs/a.md',
  prompt: 'the whole brief',
  resume: false,
  permissions: 'ask',
  hook: [...HOOK, 'x'],
  ...over,
});

describe('launch', () => {
  it('claude: permission modes, --continue on resume, the pointer as the last argument, hooks in settings.local.json', () => {
    const c = PROFILES.claude;
    expect(c.launch(input({ permissions: 'edits' })).argv).toEqual([
      'prog',
      '--permission-mode',
      'acceptEdits',
      'Read your brief in /crew/briefs/a.md and follow it.',
    ]);
    const full = c.launch(input({ permissions: 'full', resume: true }));
    expect(full.argv.slice(1, 3)).toEqual(['--dangerously-skip-permissions', '--continue']);
    expect(full.env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC).toBe('1');
    const settings = JSON.parse(
      full.files[0]!.update(
        '{"model":"opus","hooks":{"Stop":[{"hooks":[{"type":"command","command":"say done"}]}]}}',
      ),
    ) as {
      model: string;
      hooks: Record<string, { hooks: { command: string }[] }[]>;
    };
    expect(full.files[0]!.path).toBe('.claude/settings.local.json');
    // The user's own settings and hooks stay; ours is added once, quoted for sh.
    expect(settings.model).toBe('opus');
    expect(settings.hooks.Stop!.map((g) => g.hooks[0]!.command)).toEqual([
      'say done',
      `/usr/bin/node '/opt/llm crew/llm-crew.js' hook x`,
    ]);
    const again = JSON.parse(full.files[0]!.update(JSON.stringify(settings))) as typeof settings;
    expect(again.hooks.Stop).toHaveLength(2);
    expect(Object.keys(again.hooks).sort()).toEqual([
      'Notification',
      'PermissionRequest',
      'PreToolUse',
      'Stop',
      'StopFailure',
      'UserPromptSubmit',
    ]);
    expect(() => full.files[0]!.update('{oops')).toThrow(/not JSON/);
  });

  it('codex: resume --last, approval and sandbox flags, notify set on the command line', () => {
    const argv = PROFILES.codex.launch(input({ resume: true, permissions: 'edits' })).argv;
    expect(argv.slice(0, 7)).toEqual([
      'prog',
      'resume',
      '--last',
      '--sandbox',
      'workspace-write',
      '--ask-for-approval',
      'on-request',
    ]);
    expect(argv).toContain(`notify=["/usr/bin/node","/opt/llm crew/llm-crew.js","hook","x"]`);
    expect(argv.at(-1)).toMatch(/^You were restarted/);
    expect(PROFILES.codex.launch(input({ permissions: 'full' })).argv).toContain(
      '--dangerously-bypass-approvals-and-sandbox',
    );
  });

  it('gemini: approval modes, --resume latest, hooks and no telemetry in .gemini/settings.json', () => {
    const l = PROFILES.gemini.launch(input({ permissions: 'full', resume: true }));
    expect(l.argv.slice(1, 6)).toEqual(['--approval-mode', 'yolo', '--skip-trust', '--resume', 'latest']);
    const s = JSON.parse(l.files[0]!.update(null)) as Record<string, Record<string, unknown>>;
    expect(Object.keys(s.hooks!)).toEqual(['BeforeAgent', 'BeforeTool', 'AfterAgent', 'Notification']);
    expect(s.privacy).toEqual({ usageStatisticsEnabled: false });
    expect(PROFILES.gemini.launch(input({ permissions: 'edits' })).argv).toContain('auto_edit');
  });

  it('opencode: --prompt, --continue, --auto for full, edits through OPENCODE_PERMISSION', () => {
    const l = PROFILES.opencode.launch(input({ permissions: 'edits', resume: true }));
    expect(l.argv).toEqual(['prog', '--continue', '--prompt', expect.stringMatching(/^You were restarted/)]);
    expect(JSON.parse(l.env.OPENCODE_PERMISSION!)).toEqual({ edit: 'allow' });
    expect(PROFILES.opencode.launch(input({ permissions: 'full' })).argv[1]).toBe('--auto');
  });

  it('aider: the brief typed, --yes-always for full, its notifications command is the hook', () => {
    const l = PROFILES.aider.launch(input({ permissions: 'full', resume: true }));
    expect(l.typed).toBe('the whole brief');
    expect(l.argv).toEqual([
      'prog',
      '--yes-always',
      '--restore-chat-history',
      '--notifications',
      '--notifications-command',
      `/usr/bin/node '/opt/llm crew/llm-crew.js' hook x`,
    ]);
  });

  it('plain: the command as given, whatever the permissions', () => {
    for (const permissions of PERMISSIONS)
      expect(PROFILES.plain.launch(input({ permissions, resume: true }))).toEqual({
        argv: ['prog'],
        typed: null,
        env: {},
        files: [],
      });
    expect(() => profileNamed('cursor')).toThrow(/no agent profile 'cursor'/);
  });
});

/**
 * The long options a profile passes, across every permission mode, first start and resume, and the
 * one-word values that follow them (a permission mode's name).
 */
function passed(name: ProgramName): { flags: string[]; values: string[] } {
  const flags = new Set<string>();
  const values = new Set<string>();
  for (const permissions of PERMISSIONS)
    for (const resume of [false, true]) {
      const argv = PROFILES[name].launch(input({ permissions, resume })).argv;
      argv.forEach((a, i) => {
        if (!a.startsWith('--')) return;
        flags.add(a);
        const next = argv[i + 1];
        if (next !== undefined && /^[a-z][\w-]*$/i.test(next) && next !== 'resume') values.add(next);
      });
    }
  return { flags: [...flags].sort(), values: [...values].sort() };
}
const flagsOf = (name: ProgramName) => passed(name).flags;

describe('every flag a profile passes exists in the installed program', () => {
  for (const name of ['claude', 'codex', 'gemini', 'opencode'] as const) {
    const found = installedProgram(name);
    const run = 'path' in found ? it : it.skip;
    run(
      `${name} --help`,
      async () => {
        if (!('path' in found)) return;
        const [cmd, ...args] = programArgv(found.path, ['--help']);
        const home = mkdtempSync(join(tmpdir(), `help-${name}-`));
        const { stdout, stderr } = await exec(cmd!, args, {
          env: { PATH: process.env.PATH, HOME: home, CODEX_HOME: home, NO_COLOR: '1' },
          timeout: 60_000,
          maxBuffer: 1 << 22,
        });
        const help = stdout + stderr;
        const { flags, values } = passed(name);
        const missing = flags.filter((f) => !new RegExp(`${f}(?![\\w-])`).test(help));
        expect(missing, `${name} --help lacks ${missing.join(', ')}`).toEqual([]);
        const unknownValues = values.filter((v) => !new RegExp(`(?<![\\w-])${v}(?![\\w-])`).test(help));
        expect(unknownValues, `${name} --help lacks the values ${unknownValues.join(', ')}`).toEqual([]);
        // `codex resume` is a subcommand, with --last its own option.
        if (name === 'codex') {
          const r = await exec(cmd!, [...args, 'resume', '--help'], {
            env: { PATH: process.env.PATH, HOME: home, CODEX_HOME: home },
          });
          expect(r.stdout).toMatch(/--last(?![\w-])/);
        }
      },
      90_000,
    );
    if (!('path' in found)) it(`${name}: skipped, ${found.missing}`, () => console.warn(found.missing));
  }
  it('aider: no npm package; its profile follows aider.chat/docs/config/options.html', () => {
    expect(installedProgram('aider')).toEqual({ missing: expect.stringContaining('Python') });
    expect(flagsOf('aider')).toEqual([
      '--notifications',
      '--notifications-command',
      '--restore-chat-history',
      '--yes-always',
    ]);
  });
});

describe('the screen, when hooks say nothing', () => {
  it('tells busy, a question and the empty prompt apart; a line ending in ? is not a question', () => {
    expect(readScreen(PROFILES.claude, '✻ Thinking… (12s · esc to interrupt)\n')).toBe('working');
    expect(
      readScreen(PROFILES.claude, 'Bash(rm -rf build)\nDo you want to proceed?\n❯ 1. Yes\n  2. No\n'),
    ).toBe('waiting-for-input');
    expect(readScreen(PROFILES.claude, '╭──╮\n│ >  │\n╰──╯\n  ? for shortcuts\n')).toBe('idle-done');
    // Claude Code 2.1.197 after a turn, as captured from its tmux pane.
    const after = `● Done.\n\n✻ Churned for 2s\n\n${'─'.repeat(60)}\n❯ \n${'─'.repeat(60)}\n  ⏵⏵ bypass permissions on (shift+tab to cycle) · ← for agents\n`;
    expect(readScreen(PROFILES.claude, after)).toBe('idle-done');
    expect(readScreen(PROFILES.plain, 'Is this the right file?\n')).toBe('unknown');
    expect(readScreen(PROFILES.plain, 'Overwrite the file? (y/n) ')).toBe('waiting-for-input');
    expect(readScreen(PROFILES.aider, 'Run shell command? (Y)es/(N)o [Yes]:')).toBe('waiting-for-input');
    expect(readScreen(PROFILES.aider, 'Applied edit to a.py\n> ')).toBe('idle-done');
    expect(readScreen(PROFILES.gemini, '⠏ Reading files (esc to cancel, 3s)')).toBe('working');
    expect(readScreen(PROFILES.codex, '')).toBe('unknown');
    // Codex 0.171.0 after a turn, as captured from its tmux pane.
    const codexDone =
      '• Done.\n\n  Worked for <1s • 17:22\n\n› Ask Codex to do anything\n\n  gpt-5 default · /w\n  ← for agents · ? for shortcuts\n';
    expect(readScreen(PROFILES.codex, codexDone)).toBe('idle-done');
  });

  it('every profile has a name of its own and a program unless plain', () => {
    expect(Object.keys(PROFILES)).toEqual([...PROGRAMS]);
    for (const p of PROGRAMS) expect(PROFILES[p].program === null).toBe(p === 'plain');
  });
});
