// The report's charts as Vega-Lite specs: running totals per agent over time, and the integration
// overhead per point. Rendered by the shared helper in src/chart/vega.ts.
import type { IntegrationMeasure, Point } from './measures.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

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
      x: { field: 'at', type: 'temporal', title: 'Time (UTC)', axis: { format: '%b %d %H:%M' } },
      y: { field: 'total', type: 'quantitative', title: yTitle, axis: { tickMinStep: 1 } },
      color: { field: 'agent', type: 'nominal', title: 'Agent' },
    },
  };
}

/** Hours from an interface being ready to its consumer integrating it; pending ones so far. */
export function overheadSpec(points: IntegrationMeasure[]): Record<string, unknown> {
  const values = points
    .filter((p) => p.overheadHours !== null)
    .map((p) => ({
      point: `${p.id} (${p.from} -> ${p.to})`,
      hours: p.overheadHours,
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
      y: { field: 'point', type: 'nominal', title: null, sort: null },
      x: { field: 'hours', type: 'quantitative', title: 'Hours' },
      color: {
        field: 'status',
        type: 'nominal',
        title: null,
        scale: { domain: ['integrated', 'waiting (so far)'], range: ['#1f77b4', '#ff7f0e'] },
      },
    },
  };
}
