import { pathToFileURL } from 'node:url';
import { exitQuietlyOnClosedPipe } from 'llm-scratch-core/terminal';
import { version } from '../version.js';
import { crewCommands } from './crew/index.js';
import { runProgram } from 'llm-scratch-core/cli/program';

export const llmCrew = {
  name: 'llm-crew',
  version,
  description: 'plan a technical book into work for several coding agents, track it and run them',
  commands: crewCommands,
};

// The program as a process: also ends quietly when its output pipe closes.
export async function main(argv: string[]): Promise<number> {
  exitQuietlyOnClosedPipe();
  return runProgram(llmCrew, argv);
}

// Run directly from the sources too: node --import tsx src/cli/llm-crew.ts ...
const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) process.exitCode = await main(process.argv.slice(2));
