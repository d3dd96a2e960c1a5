/**
 * Starting an agent's program in its session (up) or again in its pane (the supervisor), with its
 * profile deciding how the prompt goes in; the pane's output is appended to the agent's log.
 */
import { join } from 'node:path';
import { DEFAULT_DB } from '../tracker/index.js';
import { logFile, type RuntimeAgent } from './layout.js';
import { profileFor } from './profiles.js';
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

export async function launchAgent(tmux: Tmux, o: LaunchOptions): Promise<void> {
  const profile = profileFor(o.rt.argv);
  const launch = profile.launch({
    argv: o.rt.argv,
    promptFile: o.promptFile,
    prompt: o.prompt,
    resume: o.resume,
  });
  const env = agentEnv(o);
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
