import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../errors';

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
