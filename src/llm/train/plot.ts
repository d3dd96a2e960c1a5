// The loss plot of section 5.2 (figure 5.12): training and validation loss against tokens seen. The
// image is a Vega-Lite chart rendered by the shared chart helper (src/chart/vega.ts); the terminal
// gets a compact asciichart.
import asciichart from 'asciichart';
import { svgToPng, vegaLiteSvg } from '../../chart/vega.js';
import type { LossHistory } from './checkpoint.js';

export function lossPlotSpec(history: LossHistory, title: string): Record<string, unknown> {
  const values = history.tokensSeen.flatMap((tokens, i) => [
    { tokens, step: history.steps[i], loss: history.trainLosses[i], series: 'Training loss' },
    { tokens, step: history.steps[i], loss: history.valLosses[i], series: 'Validation loss' },
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
      x: { field: 'tokens', type: 'quantitative', title: 'Tokens seen' },
      y: { field: 'loss', type: 'quantitative', title: 'Loss', scale: { zero: false } },
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

export function lossPlotSvg(history: LossHistory, title: string): Promise<string> {
  return vegaLiteSvg(lossPlotSpec(history, title));
}

export async function lossPlotPng(history: LossHistory, title: string): Promise<Uint8Array> {
  return svgToPng(await lossPlotSvg(history, title));
}

// Both losses in a few terminal rows (training solid, validation in the second colour).
export function lossPlotAscii(history: LossHistory, height = 10, width = 60): string {
  const n = history.trainLosses.length;
  if (n < 2) return '';
  // Resampled to at most `width` columns.
  const pick = (xs: number[]) =>
    Array.from(
      { length: Math.min(width, n) },
      (_, i) => xs[Math.round((i * (n - 1)) / (Math.min(width, n) - 1))],
    );
  const chart = asciichart.plot([pick(history.trainLosses), pick(history.valLosses)], {
    height,
    colors: [asciichart.blue, asciichart.red],
    format: (x: number) => x.toFixed(2).padStart(6),
  });
  return `${chart}\n  ${asciichart.blue}── training loss${asciichart.reset}   ${asciichart.red}── validation loss${asciichart.reset} (x: ${history.tokensSeen[n - 1]} tokens seen)`;
}
