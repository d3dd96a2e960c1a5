import { version } from '../version.js';
import { commands } from './commands/index.js';
import { runProgram } from './program.js';

export const llmScratch = {
  name: 'llm-scratch',
  version,
  description: 'a GPT built from scratch: tokenizers, tensors with autograd, training and generation',
  commands,
};

export async function main(argv: string[]): Promise<number> {
  return runProgram(llmScratch, argv);
}
