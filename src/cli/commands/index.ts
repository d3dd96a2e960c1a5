// The llm-scratch program's commands, in the order --help lists them.
import type { Command } from '../command.js';
import { benchGemmCommand } from './bench.js';
import { generateCommand } from './generate.js';
import { infoCommand } from './info.js';
import { logitsCommand } from './logits.js';

export const commands = [
  infoCommand,
  generateCommand,
  logitsCommand,
  benchGemmCommand,
] as unknown as Command[];
