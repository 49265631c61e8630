import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../errors';
import { html, uniqueId, type Bundle } from './display';

/** Axis titles and sizes shared by every chart. */
export interface ChartOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  /** Height in px (default 360). Width follows the notebook. */
  height?: number;
  logX?: boolean;
  logY?: boolean;
  /** Extra Plotly layout keys, merged last. */
  layout?: Record<string, unknown>;
}

export interface Series {
  name: string;
  x: readonly number[];
  y: readonly number[];
  /** Plotly trace mode (default 'lines'). */
  mode?: 'lines' | 'markers' | 'lines+markers';
  dash?: 'solid' | 'dash' | 'dot';
}

// JSON for a <script> body: non-finite numbers become null (Plotly leaves a gap), and "</" is
// escaped so a title cannot close the script tag.
function scriptJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? null : x)).replace(/<\//g, '<\\/');
}

function layoutOf(o: ChartOptions): Record<string, unknown> {
  return {
    title: o.title ? { text: o.title, font: { size: 14 } } : undefined,
    height: o.height ?? 360,
    margin: { t: o.title ? 40 : 16, r: 16, b: 48, l: 60 },
    // automargin: long or angled tick labels (image names) get the room they need instead of being cut.
    xaxis: { title: { text: o.xTitle ?? '' }, type: o.logX ? 'log' : undefined, automargin: true },
    yaxis: { title: { text: o.yTitle ?? '' }, type: o.logY ? 'log' : undefined, automargin: true },
    ...o.layout,
  };
}

/**
 * Any Plotly figure as a display bundle: a div and the script that draws into it (plotly.js
 * itself is put on the page once by `show`). Drawing waits for the page's load event when the
 * library is not there yet, as in a reloaded notebook.
 */
export function plotlyFigure(data: readonly Record<string, unknown>[], layout: Record<string, unknown>): Bundle {
  const id = uniqueId('deblur-plot');
  const height = typeof layout['height'] === 'number' ? layout['height'] : 360;
  const draw = `Plotly.newPlot(${scriptJson(id)}, ${scriptJson(data)}, ${scriptJson(layout)}, {displaylogo: false, responsive: true})`;
  return html(
    `<div id="${id}" class="deblur-plot" style="width:100%;min-width:480px;height:${height}px"></div>` +
      `<script type="text/javascript">(function () { var draw = function () { ${draw}; };` +
      ` if (window.Plotly) draw(); else window.addEventListener('load', draw); })();</script>`,
    true,
  );
}

export function lineChart(series: readonly Series[], o: ChartOptions = {}): Bundle {
  for (const s of series) {
    if (s.x.length !== s.y.length) throw new UsageError(`lineChart: series "${s.name}" has ${s.x.length} x values and ${s.y.length} y values`);
  }
  const data = series.map((s) => ({ type: 'scatter', name: s.name, x: s.x, y: s.y, mode: s.mode ?? 'lines', line: { dash: s.dash ?? 'solid' } }));
  return plotlyFigure(data, layoutOf(o));
}

export interface BarGroup {
  name: string;
  x: readonly string[];
  y: readonly number[];
  /** Error bars (± this), e.g. a spread over images. */
  error?: readonly number[];
}

export function barChart(groups: readonly BarGroup[], o: ChartOptions & { stacked?: boolean } = {}): Bundle {
  const data = groups.map((g) => ({
    type: 'bar',
    name: g.name,
    x: g.x,
    y: g.y,
    error_y: g.error ? { type: 'data', array: g.error, visible: true } : undefined,
  }));
  return plotlyFigure(data, { ...layoutOf(o), barmode: o.stacked ? 'stack' : 'group' });
}

export interface HeatmapOptions extends ChartOptions {
  x?: readonly (string | number)[];
  y?: readonly (string | number)[];
  colorscale?: string;
  zmin?: number;
  zmax?: number;
  /** Keep pixels square (images, spectra). */
  square?: boolean;
  /** Label every row (Plotly otherwise skips labels when rows are many), e.g. one per channel. */
  labelEveryRow?: boolean;
}

async function rows2d(z: tf.Tensor | readonly (readonly number[])[]): Promise<number[][]> {
  if (!(z instanceof tf.Tensor)) return z.map((r) => [...r]);
  if (z.rank !== 2) throw new UsageError(`heatmap: expected a 2-D tensor, got [${z.shape}]`);
  return (await z.array()) as number[][];
}

/** A 2-D tensor (or rows of numbers) as a heatmap; row 0 is drawn at the top, as in an image. */
export async function heatmap(z: tf.Tensor | readonly (readonly number[])[], o: HeatmapOptions = {}): Promise<Bundle> {
  const rows = await rows2d(z);
  const trace = { type: 'heatmap', z: rows, x: o.x, y: o.y, colorscale: o.colorscale ?? 'Viridis', zmin: o.zmin, zmax: o.zmax };
  const layout = layoutOf(o);
  layout['yaxis'] = {
    ...(layout['yaxis'] as object),
    autorange: 'reversed',
    ...(o.square ? { scaleanchor: 'x' } : {}),
    ...(o.labelEveryRow ? { dtick: 1, tickfont: { size: 10 } } : {}),
  };
  return plotlyFigure([trace], layout);
}

/** The distribution of a tensor's values (or of numbers), in `bins` bins. */
export async function histogram(values: tf.Tensor | readonly number[], o: ChartOptions & { bins?: number; name?: string } = {}): Promise<Bundle> {
  const x = values instanceof tf.Tensor ? Array.from(await values.data()) : [...values];
  return plotlyFigure([{ type: 'histogram', x, name: o.name ?? 'values', nbinsx: o.bins ?? 50 }], layoutOf(o));
}

/**
 * Trailing moving average over `window` points (the first points average what exists so far),
 * for noisy per-step loss curves: point i is the mean of values[max(0, i − window + 1) .. i].
 */
export function movingAverage(values: readonly number[], window: number): number[] {
  if (!Number.isInteger(window) || window < 1) throw new UsageError(`movingAverage: window must be a whole number ≥ 1, got ${window}`);
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i]!;
    if (i >= window) sum -= values[i - window]!;
    out.push(sum / Math.min(i + 1, window));
  }
  return out;
}
