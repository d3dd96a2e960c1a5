/**
 * `llm-crew report`: the measures as Markdown (report.md) with PNG charts beside it. A chart with
 * nothing to draw (no issue closed yet, no commit) is left out and the Markdown says so.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { svgToPng, vegaLiteSvg } from 'llm-scratch-core/chart/vega';
import { overheadSpec, runningTotalSpec } from './charts.js';
import type { Report } from './measures.js';

export const CHARTS = {
  closed: 'issues-closed.png',
  commits: 'commits.png',
  checks: 'checks-passing.png',
  overhead: 'integration-overhead.png',
} as const;

const fmt = (hours: number | null) =>
  hours === null
    ? '-'
    : hours >= 1
      ? `${hours} h`
      : hours * 60 >= 1
        ? `${Math.round(hours * 60)} min`
        : `${Math.round(hours * 3600)} s`;
const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
const cellText = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function table(head: string[], rows: (string | number)[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map((c) => cellText(String(c))).join(' | ')} |`),
  ].join('\n');
}

export function reportMarkdown(r: Report, charts: Set<keyof typeof CHARTS>): string {
  const image = (k: keyof typeof CHARTS, alt: string, none: string) =>
    charts.has(k) ? `![${alt}](${CHARTS[k]})` : `_${none}_`;
  const total = (k: 'issuesClosed' | 'commits' | 'restarts' | 'conflicts') =>
    r.agents.reduce((s, a) => s + a[k], 0);
  return `# Crew report: ${r.project}

From ${r.from.slice(0, 16).replace('T', ' ')} to ${r.to.slice(0, 16).replace('T', ' ')} UTC. ${count(total('issuesClosed'), 'issue')} closed, ${count(total('commits'), 'commit')}, ${count(r.restarts, 'restart')}, ${count(r.conflicts.length, 'merge conflict')}.

## Per agent

${table(
  [
    'Agent',
    'Issues closed',
    'Issues open',
    'Commits',
    'Off convention',
    'Time blocked',
    'Restarts',
    'Merge conflicts',
    'Checks passing',
  ],
  r.agents.map((a) => [
    a.agent,
    a.issuesClosed,
    a.issuesOpen,
    a.commits,
    a.offConvention,
    fmt(a.blockedHours),
    a.restarts,
    a.conflicts,
    a.checks ? `${a.checksPassing}/${a.checks}` : '-',
  ]),
)}

## Per milestone

${table(
  ['Milestone', 'Issues closed', 'Checks passing'],
  r.milestones.map((m) => [
    m.title,
    `${m.closed}/${m.issues}`,
    m.checks ? `${m.checksPassing}/${m.checks}` : '-',
  ]),
)}

## Issues closed over time

A task closes when its acceptance check passes on the merged result (\`llm-crew test --merge\`).

${image('closed', 'Issues closed per agent over time', 'no issue closed yet')}

## Acceptance checks passing over time

Each agent's checks passing, by each check's latest result on its branch or the merged result.

${image('checks', 'Acceptance checks passing per agent over time', 'no check has run yet')}

## Commits over time

${image('commits', 'Commits per agent over time', 'no commit on an agent branch yet')}

## Integration overhead

From an interface being ready (the producer's issues it depends on closed) to its consumer integrating it (the integration issue closed).

${table(
  ['Point', 'From -> to', 'Issue', 'Check', 'Ready', 'Integrated', 'Overhead'],
  r.integration.map((x) => [
    x.id,
    `${x.from} -> ${x.to}`,
    x.issue === null ? '-' : `#${x.issue}`,
    x.check ?? 'not run',
    x.readyAt?.slice(0, 16).replace('T', ' ') ?? 'not yet',
    x.integratedAt?.slice(0, 16).replace('T', ' ') ?? 'not yet',
    x.pending ? `${fmt(x.overheadHours)} so far` : fmt(x.overheadHours),
  ]),
)}

${image('overhead', 'Integration overhead per point', 'no interface ready yet')}

## Merge conflicts

${r.conflicts.length ? r.conflicts.map((e) => `- ${e.at.slice(0, 16).replace('T', ' ')} ${e.agent ?? 'crew'}: ${e.message}`).join('\n') : '_none_'}
`;
}

/** Writes report.md, report.json and the charts into dir; returns the files written. */
export async function writeReport(r: Report, dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const specs: [keyof typeof CHARTS, Record<string, unknown> | null][] = [
    [
      'closed',
      r.closedOverTime.length ? runningTotalSpec(r.closedOverTime, 'Issues closed', 'Issues closed') : null,
    ],
    ['commits', r.commitsOverTime.length ? runningTotalSpec(r.commitsOverTime, 'Commits', 'Commits') : null],
    [
      'checks',
      r.checksOverTime.length
        ? runningTotalSpec(r.checksOverTime, 'Acceptance checks passing', 'Checks passing')
        : null,
    ],
    ['overhead', r.integration.some((x) => x.overheadHours !== null) ? overheadSpec(r.integration) : null],
  ];
  const drawn = new Set<keyof typeof CHARTS>();
  const files: string[] = [];
  for (const [k, spec] of specs) {
    if (!spec) continue;
    const file = join(dir, CHARTS[k]);
    writeFileSync(file, await svgToPng(await vegaLiteSvg(spec)));
    drawn.add(k);
    files.push(file);
  }
  const md = join(dir, 'report.md');
  writeFileSync(md, reportMarkdown(r, drawn));
  const json = join(dir, 'report.json');
  writeFileSync(json, JSON.stringify(r, null, 2) + '\n');
  return [md, json, ...files];
}
