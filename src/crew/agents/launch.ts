/**
 * Starting an agent's program in its session (up) or again in its pane (the supervisor), with its
 * profile deciding how the prompt goes in, which permission flags and variables it gets, and where
 * its hooks report; the pane's output is appended to the agent's log.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { DEFAULT_DB } from '../tracker/index.js';
import { excludeFromGit } from './git.js';
import { logFile, type RuntimeAgent } from './layout.js';
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
  env?: NodeJS.ProcessEnv;
  /** How long a typed prompt waits for the program to draw its first screen. */
  readyTimeoutMs?: number;
}

export function agentEnv(o: LaunchOptions): Record<string, string> {
  const env: Record<string, string> = {
    CREW_AGENT: o.agent,
    CREW_PLAN: o.planFile,
    CREW_DB: join(o.dir, DEFAULT_DB),
    CREW_BRIEF: o.promptFile,
    PATH: (o.env ?? process.env).PATH ?? '',
  };
  if (o.resume) env.CREW_RECOVERY = o.promptFile;
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
  if (o.resume) await tmux.respawn(o.rt.session, o.rt.cwd, launch.argv, env, log);
  else
    await tmux.newSession({
      name: o.rt.session,
      cwd: o.rt.cwd,
      argv: launch.argv,
      env,
      remainOnExit: true,
      log,
    });
  if (launch.typed !== null) {
    await waitForScreen(tmux, o.rt.session, o.readyTimeoutMs ?? 15_000);
    await tmux.paste(o.rt.session, launch.typed);
  }
}
