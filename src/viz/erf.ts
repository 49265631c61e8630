import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../errors';
import type { Bundle } from './display';
import { plotlyFigure, type ChartOptions } from './plots';

/**
 * Effective receptive fields (Luo et al. 2016): how much each input pixel moves one output
 * pixel. For a layer's output at the centre pixel, summed over its channels, the gradient with
 * respect to the input image is taken, its absolute value summed over the input's colour
 * channels and averaged over images, then normalised to sum 1. The theoretical receptive field
 * bounds where it can be non-zero; the effective one is usually much smaller and Gaussian-like.
 */
export interface ReceptiveField {
  /** [H, W], same size as the input; sums to 1. */
  map: tf.Tensor2D;
  /** The output pixel whose field this is, in the layer's own grid. */
  centre: { y: number; x: number };
  /** That pixel's position in input pixels (a layer at ½ scale has it at twice the coordinates). */
  inputCentre: { y: number; x: number };
}

/** A model from `model`'s input to one of its layers' output (shares the weights). */
export function layerView(model: tf.LayersModel, layerName: string): tf.LayersModel {
  let layer: tf.layers.Layer;
  try {
    layer = model.getLayer(layerName);
  } catch {
    throw new UsageError(`the model has no layer "${layerName}"`);
  }
  return tf.model({ inputs: model.inputs, outputs: layer.output as tf.SymbolicTensor });
}

/**
 * The effective receptive field of `layerName`'s centre pixel, over `images` [N, H, W, 3].
 * The gradient is taken one image at a time so memory stays that of one backward pass.
 */
export async function effectiveReceptiveField(model: tf.LayersModel, layerName: string, images: tf.Tensor4D): Promise<ReceptiveField> {
  const view = layerView(model, layerName);
  const [n, h, w] = images.shape;
  // The layer's grid for this input size, from the graph's shape inference (no forward pass).
  const [, lh, lw] = view.computeOutputShape([1, h, w, 3]) as number[];
  const centre = { y: Math.floor(lh / 2), x: Math.floor(lw / 2) };
  // The centre pixel's mask: ones at (centre) over all channels, so grad = Σ_c ∂out_c/∂input.
  let total = tf.zeros([h, w]) as tf.Tensor2D;
  for (let i = 0; i < n; i++) {
    const next = tf.tidy(() => {
      const x = images.slice([i, 0, 0, 0], [1, h, w, 3]);
      const centreSum = (input: tf.Tensor) => {
        const out = view.apply(input, { training: false }) as tf.Tensor4D;
        return tf.sum(tf.slice(out, [0, centre.y, centre.x, 0], [1, 1, 1, out.shape[3]]));
      };
      const g = tf.grad(centreSum)(x);
      return tf.add(total, tf.sum(tf.abs(g), [0, 3]));
    }) as tf.Tensor2D;
    total.dispose();
    total = next;
    await tf.nextFrame(); // let a notebook's output and Ctrl-C through between images
  }
  const map = tf.tidy(() => tf.div(total, tf.maximum(tf.sum(total), 1e-30))) as tf.Tensor2D;
  total.dispose();
  return { map, centre, inputCentre: { y: Math.floor((centre.y * h) / lh), x: Math.floor((centre.x * w) / lw) } };
}

/**
 * The radius (px, Euclidean, from `centre`) of the smallest disc that holds `mass` of a
 * normalised map: one number to compare fields by (e.g. y1 … y4 of an MSRM).
 */
export async function massRadius(map: tf.Tensor2D, centre: { y: number; x: number }, mass = 0.5): Promise<number> {
  if (!(mass > 0 && mass <= 1)) throw new UsageError(`mass must be in (0, 1], got ${mass}`);
  const [h, w] = map.shape;
  const v = await map.data();
  const byRadius: [number, number][] = [];
  let total = 0;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      byRadius.push([Math.hypot(y - centre.y, x - centre.x), v[y * w + x]!]);
      total += v[y * w + x]!;
    }
  byRadius.sort((a, b) => a[0] - b[0]);
  let acc = 0;
  for (const [r, m] of byRadius) {
    acc += m;
    if (acc >= mass * total - 1e-12) return r;
  }
  return byRadius[byRadius.length - 1]![0];
}

/** The bounding box of the map's non-zero pixels (|v| > eps): the theoretical field actually used. */
export async function supportBox(map: tf.Tensor2D, eps = 0): Promise<{ top: number; left: number; height: number; width: number }> {
  const [h, w] = map.shape;
  const v = await map.data();
  let top = h, left = w, bottom = -1, right = -1;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      if (Math.abs(v[y * w + x]!) > eps) {
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
        left = Math.min(left, x);
        right = Math.max(right, x);
      }
    }
  if (bottom < 0) return { top: 0, left: 0, height: 0, width: 0 };
  return { top, left, height: bottom - top + 1, width: right - left + 1 };
}

/**
 * Receptive fields drawn to be read, side by side in one figure with one colour bar: each window
 * follows its field (its support above the display floor, and the 50%-mass disc, plus a margin),
 * the values on a log scale (decades below each field's peak, down to `decades`), the 50%-mass
 * circle drawn on, and axes in whole input pixels from the centre. A linear scale shows most
 * fields as a dot on black.
 */
export async function receptiveFieldCharts(fields: ReadonlyArray<{ rf: ReceptiveField; title?: string }>, o: ChartOptions & { decades?: number; margin?: number } = {}): Promise<Bundle> {
  const decades = o.decades ?? 4;
  const margin = o.margin ?? 3;
  const n = fields.length;
  if (n === 0) throw new UsageError('receptiveFieldCharts: no fields');
  const gap = 0.06;
  const traces: Record<string, unknown>[] = [];
  const layout: Record<string, unknown> = {
    title: o.title ? { text: o.title, font: { size: 13 } } : undefined,
    height: o.height ?? 280,
    margin: { t: 52, r: 8, b: 36, l: 40 },
    shapes: [] as unknown[],
    annotations: [] as unknown[],
  };
  for (const [i, f] of fields.entries()) {
    const [h, w] = f.rf.map.shape;
    const v = await f.rf.map.data();
    let peak = 0;
    for (const x of v) peak = Math.max(peak, x);
    // A dead branch (zero gradient everywhere) is a finding, not an error: drawn as one pixel at the floor.
    const dead = !(peak > 0);
    const floor = dead ? 1 : peak * 10 ** -decades;
    const box = dead ? { top: f.rf.inputCentre.y, left: f.rf.inputCentre.x, height: 1, width: 1 } : await supportBox(f.rf.map, floor);
    const r50 = dead ? 0 : await massRadius(f.rf.map, f.rf.inputCentre, 0.5);
    const c = f.rf.inputCentre;
    // Half-side: the farthest of the support's edges and the 50% circle from the centre, plus the margin.
    const half = Math.ceil(Math.max(r50, c.y - box.top, box.top + box.height - 1 - c.y, c.x - box.left, box.left + box.width - 1 - c.x) + margin);
    const [y0, y1, x0, x1] = [Math.max(0, c.y - half), Math.min(h - 1, c.y + half), Math.max(0, c.x - half), Math.min(w - 1, c.x + half)];
    const z: number[][] = [];
    for (let y = y0; y <= y1; y++) {
      const row: number[] = [];
      for (let x = x0; x <= x1; x++) row.push(dead ? -decades : Math.log10(Math.max(v[y * w + x]!, floor) / peak));
      z.push(row);
    }
    const k = i === 0 ? '' : String(i + 1);
    const tick = Math.max(1, Math.ceil((x1 - x0) / 6));
    traces.push({
      type: 'heatmap',
      z,
      x: Array.from({ length: x1 - x0 + 1 }, (_, j) => x0 + j - c.x),
      y: Array.from({ length: y1 - y0 + 1 }, (_, j) => y0 + j - c.y),
      colorscale: 'Viridis',
      zmin: -decades,
      zmax: 0,
      xaxis: `x${k}`,
      yaxis: `y${k}`,
      showscale: i === n - 1,
      colorbar: { title: { text: 'log₁₀ of peak', side: 'right' }, thickness: 10, x: 0.94, xanchor: 'left' },
    });
    // Equal panels over the left 92% (the colour bar takes the rest), a gap between them for the tick labels.
    const domain = [0.92 * (i / n) + (i === 0 ? 0 : gap / 2), 0.92 * ((i + 1) / n) - gap / 2];
    layout[`xaxis${k}`] = { domain, dtick: tick, title: { text: i === 0 ? (o.xTitle ?? 'input px from centre') : '' }, constrain: 'domain' };
    layout[`yaxis${k}`] = { dtick: tick, autorange: 'reversed', scaleanchor: `x${k}`, anchor: `x${k}` };
    (layout['shapes'] as unknown[]).push({ type: 'circle', xref: `x${k}`, yref: `y${k}`, x0: -r50, x1: r50, y0: -r50, y1: r50, line: { color: '#7fffd4', width: 1.5 } });
    (layout['annotations'] as unknown[]).push({ xref: 'paper', yref: 'paper', x: (domain[0]! + domain[1]!) / 2, y: 1, xanchor: 'center', yanchor: 'bottom', showarrow: false, text: `${f.title ?? ''}<br>${dead ? 'dead: no gradient' : `50% within ${r50.toFixed(1)} px`}`, font: { size: 10 } });
  }
  return plotlyFigure(traces, { ...layout, ...o.layout });
}

/** One receptive field, drawn as receptiveFieldCharts draws each. */
export function receptiveFieldChart(rf: ReceptiveField, o: ChartOptions & { decades?: number; margin?: number } = {}): Promise<Bundle> {
  return receptiveFieldCharts([{ rf }], o);
}
