// llm-crew dashboard [--web [--port P]]: the coordinator's view of the crew, live.
import { dirname, resolve } from 'node:path';
import { UsageError } from 'llm-scratch-core/errors';
import { collectStatus } from '../../crew/agents/status.js';
import { buildSnapshot, type Snapshot } from '../../crew/dashboard/snapshot.js';
import { parsePlan, readPlanText } from '../../crew/plan/index.js';
import { defineCommand } from 'llm-scratch-core/cli/command';
import { trackerOptions, withTracker } from './issues.js';

export const DEFAULT_PORT = 4680;

export const dashboardCommand = defineCommand({
  name: 'dashboard',
  summary:
    'Show the crew live: agents, checks, milestones, integration points, commits, the last test and the supervisor; keys attach, send, restart and diff',
  usage: '[--web [--port P]] [--interval S] [--json]',
  options: {
    ...trackerOptions,
    json: { type: 'boolean', description: 'print one snapshot as JSON and exit' },
    web: { type: 'boolean', description: 'serve the dashboard on 127.0.0.1 instead of the terminal' },
    port: {
      type: 'integer',
      value: 'P',
      description: 'the web port (0: any free one)',
      default: DEFAULT_PORT,
      min: 0,
      max: 65_535,
    },
    interval: {
      type: 'number',
      value: 'S',
      description: 'seconds between refreshes',
      default: 2,
      above: 0,
    },
  },
  examples: ['llm-crew dashboard', 'llm-crew dashboard --web --port 8080', 'llm-crew dashboard --json'],
  async run({ options, positionals, stdout, stderr }) {
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const plan = parsePlan(readPlanText(options.plan), options.plan);
    const repo = dirname(resolve(options.plan));
    await withTracker(options, stderr, async (tracker) => {
      const load = (): Promise<Snapshot> =>
        buildSnapshot({ plan, tracker, repo, status: () => collectStatus({ plan, repoDir: repo, tracker }) });
      const first = await load();
      if (options.json) {
        stdout(JSON.stringify(first, null, 2) + '\n');
        return;
      }
      const intervalMs = options.interval * 1000;
      // Ink, React and Fastify load only here: every other llm-crew command starts without them.
      if (!options.web) {
        const { runTerminalDashboard } = await import('../../crew/dashboard/terminal.js');
        const { crewActions } = await import('../../crew/dashboard/actions.js');
        const actions = crewActions({ dir: repo, planFile: options.plan, tracker });
        await runTerminalDashboard({ first, load, intervalMs, actions });
        return;
      }
      const { startWebDashboard } = await import('../../crew/dashboard/web.js');
      const web = await startWebDashboard({
        load,
        port: options.port,
        intervalMs,
        log: (m) => stderr(`${m}\n`),
      });
      stdout(`dashboard on ${web.url} (read-only; Ctrl+C stops it)\n`);
      await new Promise<void>((done) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void web.close().then(done);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
  },
});
