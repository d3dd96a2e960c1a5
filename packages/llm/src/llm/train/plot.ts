// The loss plot of section 5.2 (figure 5.12): training and validation loss against tokens seen. The
// image is a Vega-Lite chart rendered by the shared chart helper (src/chart/vega.ts); the terminal
// gets a compact asciichart.
import asciichart from 'asciichart';
import { svgToPng, vegaLiteSvg } from 'llm-scratch-core/chart/vega';
import type { LossHistory } from './checkpoint.js';

// The axis and series names; chapter 6 plots accuracy against examples seen with the same chart.
export interface PlotLabels {
  x: string;
  y: string;
  train: string;
  val: string;
}

const LOSS_LABELS: PlotLabels = {
  x: 'Tokens seen',
  y: 'Loss',
  train: 'Training loss',
  val: 'Validation loss',
};

export function lossPlotSpec(
  history: LossHistory,
  title: string,
  labels: PlotLabels = LOSS_LABELS,
): Record<string, unknown> {
  const values = history.tokensSeen.flatMap((tokens, i) => [
    { tokens, step: history.steps[i], loss: history.trainLosses[i], series: labels.train },
    { tokens, step: history.steps[i], loss: history.valLosses[i], series: labels.val },
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 560,
    height: 320,
    background: 'white',
    data: { values },
    mark: { type: 'line', point: { size: 18 } },
    encoding: {
      x: { field: 'tokens', type: 'quantitative', title: labels.x },
      y: { field: 'loss', type: 'quantitative', title: labels.y, scale: { zero: false } },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        scale: { range: ['#1f77b4', '#ff7f0e'] },
        legend: { orient: 'top-right' },
      },
      strokeDash: {
        field: 'series',
        type: 'nominal',
        title: null,
        scale: {
          range: [
            [1, 0],
            [6, 3],
          ],
        },
      },
    },
  };
}

export function lossPlotSvg(history: LossHistory, title: string, labels?: PlotLabels): Promise<string> {
  return vegaLiteSvg(lossPlotSpec(history, title, labels));
}

export async function lossPlotPng(
  history: LossHistory,
  title: string,
  labels?: PlotLabels,
): Promise<Uint8Array> {
  return svgToPng(await lossPlotSvg(history, title, labels));
}

// Both losses in a few terminal rows, training and validation in two colours; without colours (a
// pipe, NO_COLOR: see src/terminal.ts) the two curves could not be told apart, so each gets a chart
// of half the height under its name.
export function lossPlotAscii(
  history: LossHistory,
  height = 10,
  width = 60,
  labels: PlotLabels = LOSS_LABELS,
  colors = true,
): string {
  const n = history.trainLosses.length;
  if (n < 2) return '';
  // Resampled to at most `width` columns.
  const pick = (xs: number[]) =>
    Array.from(
      { length: Math.min(width, n) },
      (_, i) => xs[Math.round((i * (n - 1)) / (Math.min(width, n) - 1))],
    );
  const format = (x: number) => x.toFixed(2).padStart(6);
  const l = (s: string) => s.toLowerCase();
  if (!colors) {
    const half = Math.max(2, Math.round(height / 2));
    return [
      `  ${l(labels.train)}:`,
      asciichart.plot(pick(history.trainLosses), { height: half, format }),
      `  ${l(labels.val)}:`,
      asciichart.plot(pick(history.valLosses), { height: half, format }),
      `  (x: ${history.tokensSeen[n - 1]} ${l(labels.x)})`,
    ].join('\n');
  }
  const chart = asciichart.plot([pick(history.trainLosses), pick(history.valLosses)], {
    height,
    colors: [asciichart.blue, asciichart.red],
    format,
  });
  return `${chart}\n  ${asciichart.blue}── ${l(labels.train)}${asciichart.reset}   ${asciichart.red}── ${l(labels.val)}${asciichart.reset} (x: ${history.tokensSeen[n - 1]} ${l(labels.x)})`;
}
