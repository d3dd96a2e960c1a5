import { version } from '../version.js';
import { crewCommands } from './crew/index.js';
import { runProgram } from './program.js';

export const llmCrew = {
  name: 'llm-crew',
  version,
  description: 'plan a technical book into work for several coding agents, track it and run them',
  commands: crewCommands,
};

export async function main(argv: string[]): Promise<number> {
  return runProgram(llmCrew, argv);
}
