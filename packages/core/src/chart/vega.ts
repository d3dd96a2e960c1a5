// Charts without a browser: a Vega-Lite spec compiled and rendered to SVG by vega (renderer 'none',
// no canvas), and an SVG rasterised to PNG by resvg (prebuilt binaries in its npm packages). Both
// libraries load on first use, so commands that draw nothing do not pay for them.

export async function vegaLiteSvg(spec: Record<string, unknown>, scale = 2): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vegaLite.compile(spec as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG(scale);
  } finally {
    view.finalize();
  }
}

export async function svgToPng(svg: string): Promise<Uint8Array> {
  const { Resvg } = await import('@resvg/resvg-js');
  return new Resvg(svg, { background: 'white', font: { loadSystemFonts: true } }).render().asPng();
}
