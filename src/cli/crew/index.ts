// The llm-crew program's commands, in the order --help lists them.
import type { Command } from '../command.js';
import { bookCommands } from './book.js';

export const crewCommands: Command[] = [...(bookCommands as unknown as Command[])];
