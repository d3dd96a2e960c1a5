// llm-crew report [--out DIR]: the experiment's measures as Markdown and charts.
import { dirname, resolve } from 'node:path';
import { now as clockNow } from 'llm-scratch-core/clock';
import { UsageError } from 'llm-scratch-core/errors';
import { readCommits } from '../../crew/dashboard/commits.js';
import { dayZero } from '../../crew/dashboard/snapshot.js';
import { parsePlan, readPlanText } from '../../crew/plan/index.js';
import { computeReport } from '../../crew/report/measures.js';
import { defineCommand } from 'llm-scratch-core/cli/command';
import { requireOutputDir } from 'llm-scratch-core/cli/file-checks';
import { trackerOptions, withTracker } from './issues.js';

export const reportCommand = defineCommand({
  name: 'report',
  summary:
    'Measure the run: issues closed and commits per agent over time, time blocked, integration overhead, conflicts, restarts',
  usage: '[--out DIR] [--json]',
  options: {
    ...trackerOptions,
    out: {
      type: 'string',
      value: 'DIR',
      description: 'where report.md and its charts go',
      default: 'crew-report',
    },
    json: { type: 'boolean', description: 'print the measures as JSON (the files are written too)' },
  },
  examples: ['llm-crew report', 'llm-crew report --out docs/run-1 --json'],
  async run({ options, positionals, stdout, stderr }) {
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    requireOutputDir('out', options.out);
    const plan = parsePlan(readPlanText(options.plan), options.plan);
    const repo = dirname(resolve(options.plan));
    const now = clockNow();
    const report = await withTracker(options, stderr, async (tracker) => {
      const [issues, events] = await Promise.all([
        tracker.listIssues({ state: 'all' }),
        tracker.listEvents(),
      ]);
      const since = dayZero(plan, issues, now).toISOString();
      return computeReport({ plan, issues, events, commits: readCommits(repo, { since }), now });
    });
    // The charting libraries load only when a report is written.
    const { writeReport } = await import('../../crew/report/write.js');
    const files = await writeReport(report, resolve(options.out));
    if (options.json) stdout(JSON.stringify({ ...report, files }, null, 2) + '\n');
    else stdout(`wrote ${files.join(', ')}\n`);
  },
});
