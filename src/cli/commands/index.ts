// The llm-scratch program's commands, in the order --help lists them.
import type { Command } from '../command.js';
import { infoCommand } from './info.js';

export const commands = [infoCommand] as unknown as Command[];
