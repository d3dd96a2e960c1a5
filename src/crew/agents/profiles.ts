/**
 * Agent profiles: how a known agent program takes its first prompt and resumes its last
 * conversation after a restart. A profile is picked by the program's name (the first word of the
 * agent's command); anything unknown is `plain`, which reads its brief from the file named in
 * CREW_BRIEF (a recovery brief on restart in CREW_RECOVERY) and is typed nothing.
 */
import { basename } from 'node:path';

export type PromptDelivery = 'argument' | 'file' | 'typed';

export interface LaunchInput {
  /** The agent's command as an argument list (crew.yaml's command, or --command). */
  argv: string[];
  /** The prompt's file (the brief, or the recovery brief on a restart). */
  promptFile: string;
  prompt: string;
  /** A restart: resume the agent's last conversation where the program can. */
  resume: boolean;
}

export interface Launch {
  argv: string[];
  /** Typed into the session (bracketed paste + Enter) once it runs, or null. */
  typed: string | null;
}

export interface AgentProfile {
  name: string;
  delivery: PromptDelivery;
  /** Screen text that means the agent waits for the user: a question, a confirmation, an empty input box. */
  waiting: RegExp[];
  launch(input: LaunchInput): Launch;
}

// A short pointer rather than the brief itself: a brief runs to pages, and an argument list passes
// through tmux's command message, which is limited to about 16 KB.
const pointer = (file: string, resume: boolean) =>
  resume
    ? `You were restarted. Read ${file}: it says what you were doing; carry on from there.`
    : `Read your brief in ${file} and follow it.`;

const GENERIC_WAITING = [/\(y\/n\)\s*$/im, /\[y\/n\]\s*$/im, /press enter/i, /\?\s*$/];

const claude: AgentProfile = {
  name: 'claude',
  delivery: 'argument',
  waiting: [/Do you want to/i, /❯\s*1\.\s*Yes/, /│\s*>\s*│?\s*$/m, ...GENERIC_WAITING],
  launch: ({ argv, promptFile, resume }) => ({
    argv: [...argv, ...(resume ? ['--continue'] : []), pointer(promptFile, resume)],
    typed: null,
  }),
};

const codex: AgentProfile = {
  name: 'codex',
  delivery: 'argument',
  waiting: [/Allow command\?/i, /▌\s*$/m, ...GENERIC_WAITING],
  launch: ({ argv, promptFile, resume }) => ({
    // `codex resume --last PROMPT` reopens the most recent session.
    argv: [...argv, ...(resume ? ['resume', '--last'] : []), pointer(promptFile, resume)],
    typed: null,
  }),
};

const aider: AgentProfile = {
  name: 'aider',
  delivery: 'typed',
  waiting: [/^>\s*$/m, /\(Y\)es\/\(N\)o/i, ...GENERIC_WAITING],
  launch: ({ argv, prompt, resume }) => ({
    argv: [...argv, ...(resume ? ['--restore-chat-history'] : [])],
    typed: prompt,
  }),
};

const plain: AgentProfile = {
  name: 'plain',
  delivery: 'file',
  waiting: GENERIC_WAITING,
  launch: ({ argv }) => ({ argv, typed: null }),
};

export const PROFILES: readonly AgentProfile[] = [claude, codex, aider, plain];

export function profileFor(argv: string[]): AgentProfile {
  const program = basename(argv[0] ?? '');
  return PROFILES.find((p) => p.name === program) ?? plain;
}

/** Whether the last lines of a pane show the agent waiting for the user. */
export function looksWaiting(profile: AgentProfile, screen: string): boolean {
  const tail = screen.replace(/\s+$/, '').split('\n').slice(-6).join('\n');
  return tail.length > 0 && profile.waiting.some((re) => re.test(tail));
}
