import { pathToFileURL } from 'node:url';
import { exitQuietlyOnClosedPipe } from 'llm-scratch-core/terminal';
import { version } from '../version.js';
import { commands } from './commands/index.js';
import { runProgram } from 'llm-scratch-core/cli/program';

export const llmScratch = {
  name: 'llm-scratch',
  version,
  description: 'a GPT built from scratch: tokenizers, tensors with autograd, training and generation',
  commands,
};

// The program as a process: also ends quietly when its output pipe closes.
export async function main(argv: string[]): Promise<number> {
  exitQuietlyOnClosedPipe();
  return runProgram(llmScratch, argv);
}

// Run directly from the sources too: node --import tsx src/cli/llm-scratch.ts ...
const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) process.exitCode = await main(process.argv.slice(2));
