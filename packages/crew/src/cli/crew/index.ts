// The llm-crew program's commands, in the order --help lists them.
import type { Command } from 'llm-scratch-core/cli/command';
import { agentCommands } from './agents.js';
import { bookCommands } from './book.js';
import { dashboardCommand } from './dashboard.js';
import { hookCommand } from './hook.js';
import { integrateCommands } from './integrate.js';
import { issuesCommands } from './issues.js';
import { planCommands } from './plan.js';
import { reportCommand } from './report.js';

export const crewCommands: Command[] = [
  ...(bookCommands as unknown as Command[]),
  ...(planCommands as unknown as Command[]),
  ...(issuesCommands as unknown as Command[]),
  ...(agentCommands as unknown as Command[]),
  hookCommand as unknown as Command,
  ...(integrateCommands as unknown as Command[]),
  dashboardCommand as unknown as Command,
  reportCommand as unknown as Command,
];
