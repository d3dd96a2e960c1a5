// The report's charts as Vega-Lite specs: running totals per agent over time, and the integration
// overhead per point. Rendered by the shared helper in src/chart/vega.ts.
import type { IntegrationMeasure, Point } from './measures.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Axis labels that suit the span: seconds for a short run, days for a long one. */
function timeFormat(points: Point[]): string {
  const ms = points.map((p) => Date.parse(p.at));
  const span = Math.max(...ms) - Math.min(...ms);
  return span < 3_600_000 ? '%H:%M:%S' : span < 86_400_000 ? '%H:%M' : '%b %d %H:%M';
}

/** A step line per agent: how a running total (issues closed, commits) grew. */
export function runningTotalSpec(points: Point[], title: string, yTitle: string): Record<string, unknown> {
  return {
    $schema: SCHEMA,
    title,
    width: 560,
    height: 280,
    background: 'white',
    data: { values: points },
    mark: { type: 'line', interpolate: 'step-after', point: { size: 24 } },
    encoding: {
      // A utc scale so that the axis says UTC whatever the machine's time zone.
      x: {
        field: 'at',
        type: 'temporal',
        title: 'Time (UTC)',
        scale: { type: 'utc' },
        axis: { format: timeFormat(points) },
      },
      y: { field: 'total', type: 'quantitative', title: yTitle, axis: { tickMinStep: 1 } },
      color: { field: 'agent', type: 'nominal', title: 'Agent' },
    },
  };
}

/** The overhead per point, in hours, minutes or seconds, whichever suits the longest. */
export function overheadSpec(points: IntegrationMeasure[]): Record<string, unknown> {
  const measured = points.filter((p) => p.overheadHours !== null);
  const longest = Math.max(0, ...measured.map((p) => p.overheadHours!));
  const [unit, per] = longest >= 1 ? ['Hours', 1] : longest * 60 >= 1 ? ['Minutes', 60] : ['Seconds', 3600];
  const values = measured.map((p) => ({
    point: `${p.id} (${p.from} -> ${p.to})`,
    value: Math.round(p.overheadHours! * per * 10) / 10,
    status: p.pending ? 'waiting (so far)' : 'integrated',
  }));
  return {
    $schema: SCHEMA,
    title: 'Integration overhead: interface ready to integrated',
    width: 480,
    height: { step: 26 },
    background: 'white',
    data: { values },
    mark: 'bar',
    encoding: {
      y: { field: 'point', type: 'nominal', title: null, sort: null, axis: { labelLimit: 400 } },
      x: { field: 'value', type: 'quantitative', title: unit },
      color: {
        field: 'status',
        type: 'nominal',
        title: null,
        scale: { domain: ['integrated', 'waiting (so far)'], range: ['#1f77b4', '#ff7f0e'] },
      },
    },
  };
}
