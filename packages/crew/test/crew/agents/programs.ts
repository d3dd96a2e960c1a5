// Where the installed agent programs (dev dependencies) are, as runnable executables: the npm
// packages of claude and opencode install their native binaries as platform packages, and their
// `bin` wrapper is a placeholder until a postinstall script copies it in (installs here skip scripts).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ProgramName } from '../../../src/crew/agents/profiles/index.js';

const modules = (path: string) =>
  fileURLToPath(new URL(`../../../../../node_modules/${path}`, import.meta.url));

const platform = `${process.platform}-${process.arch}`;

const CANDIDATES: Partial<Record<ProgramName, string[]>> = {
  claude: [modules(`@anthropic-ai/claude-code-${platform}/claude`)],
  codex: [modules('@openai/codex/bin/codex.js')],
  gemini: [modules('@google/gemini-cli/bundle/gemini.js')],
  opencode: [
    modules(`opencode-${platform}/bin/opencode`),
    modules(`opencode-${platform}-baseline/bin/opencode`),
  ],
};

/** The program's executable, or the reason it is not here. */
export function installedProgram(name: ProgramName): { path: string } | { missing: string } {
  const candidates = CANDIDATES[name];
  if (!candidates) return { missing: `${name} has no npm package (aider is Python: pip install aider-chat)` };
  const path = candidates.find((p) => existsSync(p));
  return path ? { path } : { missing: `${name} is not installed (looked for ${candidates.join(', ')})` };
}

/** The argument list that runs it: node scripts through this node. */
export const programArgv = (path: string, args: string[]) =>
  path.endsWith('.js') ? [process.execPath, path, ...args] : [path, ...args];
