import * as tf from '@tensorflow/tfjs';
import { createRaster, cropRaster, type Raster } from '../data/raster';
import { texture } from '../data/synth/synthesize';
import { UsageError } from '../errors';
import { probeOver, type MsrmSite, type Probe } from '../model/probes';
import type { Progress } from '../progress';
import { heatmap, lineChart, type ChartOptions, type HeatmapOptions } from './plots';
import { colorize } from './colormap';
import type { Bundle } from './display';
import { enlarge } from './images';

/**
 * The channel attention of one block (MSRM's CA), over a set of images: which channels it
 * amplifies or shuts, and how consistently. A weight is the sigmoid that scales a channel before
 * the residual: near 1 the channel passes, near 0 it is shut, ½ is the untrained start.
 */
export interface ChannelAttentionSummary extends MsrmSite {
  channels: number;
  images: number;
  /** Per channel: mean over images. */
  mean: number[];
  /** Per channel: standard deviation over images (how much the image decides the weight). */
  spread: number[];
  /** Per image, per channel. */
  perImage: number[][];
  /** Share of channels whose mean is far from the block's mean weight (more than DECISIVE away): the block picks these. */
  decisive: number;
  /** Share of channels whose weight hardly moves from image to image (s.d. under CONSTANT): a fixed gain, not attention. */
  constant: number;
}

/** A channel's mean this far from its block's mean weight is "decisive" (a quarter of the sigmoid's range). */
export const DECISIVE = 0.25;
/** A channel whose weight varies less than this over images is "constant". */
export const CONSTANT = 0.02;

/** The summary of one block's weights [N, C]. */
export async function channelAttentionSummary(site: MsrmSite & { weights: tf.Tensor2D }): Promise<ChannelAttentionSummary> {
  const [n, c] = site.weights.shape;
  const v = await site.weights.data();
  const perImage = Array.from({ length: n }, (_, i) => Array.from(v.subarray(i * c, (i + 1) * c)));
  const mean = Array.from({ length: c }, (_, ch) => perImage.reduce((s, r) => s + r[ch]!, 0) / n);
  const spread = Array.from({ length: c }, (_, ch) => Math.sqrt(perImage.reduce((s, r) => s + (r[ch]! - mean[ch]!) ** 2, 0) / n));
  const overall = mean.reduce((s, m) => s + m, 0) / c;
  return {
    module: site.module,
    stage: site.stage,
    level: site.level,
    block: site.block,
    channels: c,
    images: n,
    mean,
    spread,
    perImage,
    decisive: mean.filter((m) => Math.abs(m - overall) > DECISIVE).length / c,
    constant: spread.filter((s) => s < CONSTANT).length / c,
  };
}

/**
 * Every block's channel attention over many images (one size, sides divisible by the probe's
 * multiple), probed `batch` at a time so memory stays bounded; the same as one probe over all.
 */
export function channelAttentionOver(probe: Probe, images: readonly Raster[], o: { batch?: number; progress?: Progress } = {}): Promise<ChannelAttentionSummary[]> {
  return probeOver(probe, images, (r) => r.channelAttention.map((a) => ({ key: a.module, about: { module: a.module, stage: a.stage, level: a.level, block: a.block } as MsrmSite, value: a.weights })), (site, weights) => channelAttentionSummary({ ...site, weights }), o);
}

/** One row per image, one column per channel, for one block: which channels the image opens or shuts. */
export function channelAttentionHeatmap(s: ChannelAttentionSummary, o: HeatmapOptions & { imageNames?: readonly string[] } = {}): Promise<Bundle> {
  return heatmap(s.perImage, {
    x: Array.from({ length: s.channels }, (_, ch) => `ch ${ch}`),
    y: s.perImage.map((_, i) => o.imageNames?.[i] ?? `image ${i + 1}`),
    xTitle: 'channel',
    yTitle: 'image',
    zmin: 0,
    zmax: 1,
    title: `${s.module}: channel attention weights`,
    ...o,
  });
}

/**
 * Each block's mean weight against a swept quantity (e.g. blur extent): one line per block, the
 * mean over its channels. `summariesPerX[i]` are the summaries of the images at x[i].
 */
export function channelAttentionAgainst(x: readonly number[], summariesPerX: readonly ChannelAttentionSummary[][], o: ChartOptions = {}): Bundle {
  const modules = summariesPerX[0]?.map((s) => s.module) ?? [];
  return lineChart(
    modules.map((m) => ({
      name: m,
      x,
      y: summariesPerX.map((list) => {
        const s = list.find((t) => t.module === m);
        if (!s) throw new Error(`channelAttentionAgainst: no block ${m} at every x`);
        return s.mean.reduce((a, b) => a + b, 0) / s.channels;
      }),
      mode: 'lines+markers' as const,
    })),
    { yTitle: 'mean channel weight', ...o },
  );
}

/**
 * A FAM map as one image: per pixel, the mean over channels of |z| (how strongly the image's own
 * features gate the encoder's there), scaled to [0, 1] by its largest value, at the map's size.
 */
export async function famStrength(map: tf.Tensor4D, image = 0): Promise<Raster> {
  const [, h, w, c] = map.shape;
  const v = await map.data();
  const out = new Float32Array(h * w);
  let max = 0;
  for (let p = 0; p < h * w; p++) {
    let s = 0;
    for (let ch = 0; ch < c; ch++) s += Math.abs(v[(image * h * w + p) * c + ch]!);
    out[p] = s / c;
    max = Math.max(max, out[p]!);
  }
  const grey = new Float32Array(h * w * 3);
  for (let p = 0; p < h * w; p++) grey[p * 3] = grey[p * 3 + 1] = grey[p * 3 + 2] = max > 0 ? out[p]! / max : 0;
  return createRaster(w, h, grey);
}

/**
 * The FAM gate strength over the input image: the image in grey, the strength (famStrength) in
 * the `magma` colours on top at `alpha`, enlarged to the image's size (the map is at ½ or ¼).
 */
export async function famOverlay(image: Raster, map: tf.Tensor4D, index = 0, alpha = 0.6): Promise<Raster> {
  const strength = await famStrength(map, index);
  const factor = image.width / strength.width;
  if (!Number.isInteger(factor) || strength.height * factor !== image.height) throw new Error(`famOverlay: a ${strength.width}×${strength.height} map does not tile a ${image.width}×${image.height} image`);
  const values = new Float32Array(strength.width * strength.height);
  for (let p = 0; p < values.length; p++) values[p] = strength.data[p * 3]!;
  const colours = enlarge(colorize(values, strength.width, strength.height, { colormap: 'magma', range: [0, 1] }), factor);
  const out = createRaster(image.width, image.height);
  for (let p = 0; p < image.width * image.height; p++) {
    const grey = (image.data[p * 3]! + image.data[p * 3 + 1]! + image.data[p * 3 + 2]!) / 3;
    for (let c = 0; c < 3; c++) out.data[p * 3 + c] = (1 - alpha) * grey + alpha * colours.data[p * 3 + c]!;
  }
  return out;
}

/**
 * The `count` flattest and the `count` most textured square windows of side `size` among all the
 * images' windows (a grid at half-window steps), by the lab's texture measure (mean absolute
 * neighbour difference, synthesize.ts): for comparing what a network does with sky and walls and
 * with detail.
 */
export function flatAndTexturedWindows(images: readonly Raster[], size: number, count: number): { flat: Raster[]; textured: Raster[] } {
  const windows: { texture: number; crop: Raster }[] = [];
  const step = Math.max(1, Math.floor(size / 2));
  for (const image of images) {
    for (let top = 0; top + size <= image.height; top += step) {
      for (let left = 0; left + size <= image.width; left += step) {
        const crop = cropRaster(image, left, top, size, size);
        windows.push({ texture: texture(crop), crop });
      }
    }
  }
  if (windows.length < 2 * count) throw new UsageError(`flatAndTexturedWindows: ${windows.length} windows of ${size}² for ${count} flat and ${count} textured`);
  windows.sort((a, b) => a.texture - b.texture);
  return { flat: windows.slice(0, count).map((w) => w.crop), textured: windows.slice(-count).map((w) => w.crop) };
}
