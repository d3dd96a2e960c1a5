/**
 * Starting an agent's program in its session (up) or again in its pane (the supervisor), with its
 * profile deciding how the prompt goes in, which permission flags and variables it gets, and where
 * its hooks report; the pane's output is appended to the agent's log.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { UserError } from 'llm-scratch-core/errors';
import { writeFileAtomic } from 'llm-scratch-core/io/atomic';
import { DEFAULT_DB } from '../tracker/index.js';
import { excludeFromGit } from './git.js';
import { logFile, shimDir, type RuntimeAgent } from './layout.js';
import { profileNamed, type ProfileFile } from './profiles/index.js';
import { Tmux } from './tmux.js';

export interface LaunchOptions {
  agent: string;
  rt: RuntimeAgent;
  /** crew.yaml's directory. */
  dir: string;
  planFile: string;
  promptFile: string;
  prompt: string;
  /** A restart: resume where the program can, and the prompt is a recovery brief. */
  resume: boolean;
  /** How to run llm-crew itself ([node, ...flags, script]): the program's hooks run `hook` with it. */
  self: string[];
  /** The git repository (its info/exclude keeps the hook settings out of the agent's commits). */
  repo: string;
  /** The crew's tmux socket (-L), or null: the default server. */
  socket: string | null;
  /** The issue the agent starts on, when it has one. */
  issue?: number | null;
  env?: NodeJS.ProcessEnv;
  /** How long a typed prompt waits for the program to draw its first screen. */
  readyTimeoutMs?: number;
}

/**
 * The crew's variables in an agent's session, and `llm-crew` first on its PATH (shim.ts), so that
 * `llm-crew issues ...` run in its worktree reaches the crew's tracker. The CREW_* names are the
 * first ones the crew used; scripted agents and the `plain` profile read them.
 */
export function agentEnv(o: LaunchOptions): Record<string, string> {
  const db = join(o.dir, DEFAULT_DB);
  const env: Record<string, string> = {
    LLM_CREW_AGENT: o.agent,
    LLM_CREW_ROOT: resolve(o.dir),
    LLM_CREW_PLAN: o.planFile,
    LLM_CREW_DB: db,
    LLM_CREW_BRIEF: o.promptFile,
    LLM_CREW_SESSION: o.rt.session,
    CREW_AGENT: o.agent,
    CREW_PLAN: o.planFile,
    CREW_DB: db,
    CREW_BRIEF: o.promptFile,
    PATH: [shimDir(resolve(o.dir)), (o.env ?? process.env).PATH ?? ''].join(delimiter),
  };
  if (o.socket) env.LLM_CREW_SOCKET = o.socket;
  if (o.issue) env.LLM_CREW_ISSUE = String(o.issue);
  if (o.resume) env.CREW_RECOVERY = env.LLM_CREW_RECOVERY = o.promptFile;
  return env;
}

async function waitForScreen(tmux: Tmux, session: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if ((await tmux.capture(session)).trim() !== '') return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function writeProfileFile(o: LaunchOptions, f: ProfileFile): Promise<void> {
  const file = join(o.rt.cwd, f.path);
  const current = existsSync(file) ? readFileSync(file, 'utf8') : null;
  let text: string;
  try {
    text = f.update(current);
  } catch (err) {
    throw new UserError(`agent '${o.agent}': ${file}: ${(err as Error).message}`);
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileAtomic(file, [text]);
  await excludeFromGit(o.repo, `/${f.path}`);
}

export async function launchAgent(tmux: Tmux, o: LaunchOptions): Promise<void> {
  const profile = profileNamed(o.rt.profile);
  const launch = profile.launch({
    argv: o.rt.argv,
    promptFile: o.promptFile,
    prompt: o.prompt,
    resume: o.resume,
    permissions: o.rt.permissions ?? 'ask',
    hook: [...o.self, 'hook', profile.name],
  });
  for (const f of launch.files) await writeProfileFile(o, f);
  const env = { ...launch.env, ...agentEnv(o) };
  const log = logFile(o.dir, o.agent);
  // A restart of a pane whose session was killed makes the session again.
  if (o.resume && (await tmux.hasSession(o.rt.session)))
    await tmux.respawn(o.rt.session, o.rt.cwd, launch.argv, env, log);
  else
    await tmux.newSession({
      name: o.rt.session,
      cwd: o.rt.cwd,
      argv: launch.argv,
      env,
      remainOnExit: true,
      log,
      crewRoot: resolve(o.dir),
    });
  if (launch.typed !== null) {
    await waitForScreen(tmux, o.rt.session, o.readyTimeoutMs ?? 15_000);
    await tmux.paste(o.rt.session, launch.typed);
  }
}
