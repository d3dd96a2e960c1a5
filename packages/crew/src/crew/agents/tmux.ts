/**
 * The tmux driver: every call an argument list (exec.ts), on the user's default server unless a
 * socket name is given (`-L NAME`), every target exact (`=name`, since a plain name also matches
 * any session it is a prefix of). Agents' panes stay after their process ends (remain-on-exit), so
 * that the supervisor sees an exit and its status instead of a vanished session.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { run, runOk, type RunOptions } from './exec.js';

export interface PaneInfo {
  session: string;
  dead: boolean;
  /** The exit status of a dead pane's process. */
  exitStatus: number | null;
  /** The signal that ended a dead pane's process (kill -9: 9); tmux reports no exit status then. */
  exitSignal: number | null;
  pid: number | null;
  /** Unix seconds of the last output in the session's window. */
  activity: number | null;
  command: string;
  /** The crew directory of the `up` that made the session (its CREW_TAG), or null: not made by a crew. */
  crewRoot: string | null;
}

/**
 * A session option naming the crew directory that started the session: a session of the same name
 * that lacks it, or names another crew, is someone else's and is never adopted, restarted or killed.
 * Option values are not expanded as formats (checked on tmux 3.3a).
 */
export const CREW_TAG = '@llm-crew-root';

export interface NewSession {
  name: string;
  cwd: string;
  argv: string[];
  env: Record<string, string>;
  /** Keep the pane when its process exits (agents); the coordinator's session goes when it ends. */
  remainOnExit: boolean;
  /** Append the pane's output to this file. */
  log?: string;
  /** The crew directory, recorded in the session's CREW_TAG. */
  crewRoot?: string;
}

// tmux reads an argument that ends in ';' as the end of a command; a backslash keeps it literal.
const literal = (arg: string) => (arg.endsWith(';') ? `${arg.slice(0, -1)}\\;` : arg);

// tmux expands formats in a new session's name (-s), in start directories (-c) and in pipe-pane's
// command (FORMATS in tmux(1)), and '#(...)' in a format runs a shell command: a crew directory
// named 'x#(rm -rf ~)' would run it. '##' is a literal '#' there. Targets, -e values and the pane's
// argument list are not expanded (checked on tmux 3.3a).
const noFormats = (arg: string) => arg.replace(/#/g, '##');
// pipe-pane's command also goes through strftime(3), where '%%' is a literal '%'.
const noFormatsOrTime = (arg: string) => noFormats(arg).replace(/%/g, '%%');

// With one argument tmux runs the command through `sh -c`; two or more are exec'd as they are.
// `env --` turns a bare program into an exec'd argument list.
const execArgv = (argv: string[]) => (argv.length === 1 ? ['env', '--', ...argv] : argv);

// tmux gives a new pane the PATH of the client that runs the command, whatever -e says (tmux 3.3a):
// a PATH of our own is set by env(1) in the argument list. resolve.ts refuses a program with '=' in
// its name, which env would read as one more variable.
const paneArgv = (argv: string[], env: Record<string, string>) =>
  env.PATH !== undefined ? ['env', '--', `PATH=${env.PATH}`, ...argv] : execArgv(argv);

const SEP = '\t';

/**
 * `; pipe-pane ...` appending the pane's output to a log file, chained to the command that starts
 * the pane so that nothing it prints (or its exit) comes first. pipe-pane only takes a shell
 * command: the one shell string in the crew, whose only variable part is the file name, quoted.
 */
function pipeTo(target: string, file: string | undefined): string[] {
  if (!file) return [];
  mkdirSync(dirname(file), { recursive: true });
  const quoted = `'${file.replace(/'/g, `'\\''`)}'`;
  return [';', 'pipe-pane', '-t', target, noFormatsOrTime(`exec cat >> ${quoted}`)];
}

export class Tmux {
  constructor(
    /** The -L socket name; null: the user's default server. */
    readonly socket: string | null = null,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  private base(): string[] {
    return this.socket ? ['-L', this.socket] : [];
  }

  private childEnv(): NodeJS.ProcessEnv {
    // Inside a tmux session TMUX points at that server; our commands name their own.
    const env = { ...this.env };
    delete env.TMUX;
    return env;
  }

  run(args: string[], o: RunOptions = {}) {
    return run('tmux', [...this.base(), ...args.map(literal)], { env: this.childEnv(), ...o });
  }

  runOk(args: string[], o: RunOptions = {}) {
    return runOk('tmux', [...this.base(), ...args.map(literal)], { env: this.childEnv(), ...o });
  }

  /** The session's first pane as a target. */
  static pane(session: string): string {
    return `=${session}:`;
  }

  async hasSession(name: string): Promise<boolean> {
    return (await this.run(['has-session', '-t', `=${name}`])).code === 0;
  }

  async sessions(): Promise<string[]> {
    const r = await this.run(['list-sessions', '-F', '#{session_name}']);
    return r.code === 0 ? r.stdout.split('\n').filter(Boolean) : [];
  }

  async newSession(s: NewSession): Promise<void> {
    const envArgs = Object.entries(s.env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    // Wide enough that agents' TUIs do not wrap; a client that attaches resizes it.
    const args = [
      'new-session',
      '-d',
      '-s',
      noFormats(s.name),
      '-c',
      noFormats(s.cwd),
      '-x',
      '200',
      '-y',
      '50',
      ...envArgs,
    ];
    // One tmux invocation: the option is set before the server reaps a process that exits at once.
    const tail = [
      // `=name` alone is refused by set-option (tmux 3.3a); the pane target names the session.
      ...(s.crewRoot ? [';', 'set-option', '-t', Tmux.pane(s.name), CREW_TAG, literal(s.crewRoot)] : []),
      ...(s.remainOnExit ? [';', 'set-option', '-w', '-t', Tmux.pane(s.name), 'remain-on-exit', 'on'] : []),
      ...pipeTo(Tmux.pane(s.name), s.log),
    ];
    const r = await run(
      'tmux',
      [...this.base(), ...args.map(literal), '--', ...paneArgv(s.argv, s.env).map(literal), ...tail],
      {
        env: this.childEnv(),
      },
    );
    if (r.code !== 0) throw new Error(`tmux new-session ${s.name}: ${r.stderr.trim()}`);
  }

  /** Starts the pane's command again (killing a live one), with a new argument list. */
  async respawn(
    session: string,
    cwd: string,
    argv: string[],
    env: Record<string, string>,
    log?: string,
  ): Promise<void> {
    const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    const args = [
      'respawn-pane',
      '-k',
      '-t',
      Tmux.pane(session),
      '-c',
      noFormats(cwd),
      ...envArgs,
      ...paneArgv(argv, env),
    ].map(literal);
    const r = await run('tmux', [...this.base(), ...args, ...pipeTo(Tmux.pane(session), log)], {
      env: this.childEnv(),
    });
    if (r.code !== 0) throw new Error(`tmux respawn-pane ${session}: ${r.stderr.trim()}`);
  }

  async panes(): Promise<PaneInfo[]> {
    const format = [
      'session_name',
      'pane_dead',
      'pane_dead_status',
      'pane_dead_signal',
      'pane_pid',
      'window_activity',
      'pane_current_command',
      // Last: a directory's name may hold the separator.
      CREW_TAG,
    ]
      .map((f) => `#{${f}}`)
      .join(SEP);
    const r = await this.run(['list-panes', '-a', '-F', format]);
    if (r.code !== 0) return [];
    const num = (s: string | undefined) => (s && /^\d+$/.test(s) ? Number(s) : null);
    return r.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [session, dead, status, signal, pid, activity, command, ...root] = line.split(SEP);
        return {
          session: session!,
          dead: dead === '1',
          exitStatus: dead === '1' ? num(status) : null,
          exitSignal: dead === '1' ? num(signal) : null,
          pid: num(pid),
          activity: num(activity),
          command: command ?? '',
          crewRoot: root.join(SEP) || null,
        };
      });
  }

  /** The visible screen of the session's pane (plus `history` lines above it). */
  async capture(session: string, history = 0): Promise<string> {
    const r = await this.run([
      'capture-pane',
      '-p',
      '-t',
      Tmux.pane(session),
      ...(history ? ['-S', `-${history}`] : []),
    ]);
    return r.code === 0 ? r.stdout : '';
  }

  /** Text as a bracketed paste (so that a TUI takes newlines as text, not as Enter), then Enter. */
  async paste(session: string, text: string, enter = true): Promise<void> {
    const buffer = `crew-${process.pid}-${Date.now()}`;
    await this.runOk(['load-buffer', '-b', buffer, '-'], { input: text });
    await this.runOk(['paste-buffer', '-p', '-d', '-b', buffer, '-t', Tmux.pane(session)]);
    if (enter) await this.runOk(['send-keys', '-t', Tmux.pane(session), 'Enter']);
  }

  async killSession(name: string): Promise<boolean> {
    return (await this.run(['kill-session', '-t', `=${name}`])).code === 0;
  }

  async killServer(): Promise<void> {
    await this.run(['kill-server']);
  }
}
