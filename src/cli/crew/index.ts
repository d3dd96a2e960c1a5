// The llm-crew program's commands, in the order --help lists them.
import type { Command } from '../command.js';

export const crewCommands: Command[] = [];
