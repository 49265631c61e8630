import * as tf from '@tensorflow/tfjs';
import { encodePng } from '../data/image';
import { createRaster, cropRaster, tensorToRaster, type Raster } from '../data/raster';
import { UsageError } from '../errors';
import { colorize, type ColorizeOptions } from './colormap';
import { escapeHtml, html, type Bundle } from './display';

/** An RGB image: a raster, or a tensor [H, W, 3] / [1, H, W, 3] with values in [0, 1]. */
export type ImageLike = Raster | tf.Tensor;

export interface Panel {
  image: ImageLike;
  title?: string;
}

/** A rectangle in pixels of the full image. */
export interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
}

export async function asRaster(image: ImageLike): Promise<Raster> {
  return image instanceof tf.Tensor ? tensorToRaster(image) : image;
}

/** A PNG data URL of an image, for <img> tags that survive HTML export. */
export async function dataUrl(image: ImageLike): Promise<string> {
  return `data:image/png;base64,${(await encodePng(image)).toString('base64')}`;
}

function figure(src: string, title: string | undefined, width: number, pixelated: boolean): string {
  const style = `width:${width}px;height:auto;display:block${pixelated ? ';image-rendering:pixelated' : ''}`;
  const cap = title ? `<figcaption style="font:12px sans-serif;text-align:center;margin-top:2px;overflow-wrap:anywhere">${escapeHtml(title)}</figcaption>` : '';
  // The figure is as wide as its image, so a long title wraps instead of widening the column.
  return `<figure style="margin:0 6px 6px 0;width:${width}px">` + `<img src="${src}" alt="${escapeHtml(title ?? '')}" style="${style}">${cap}</figure>`;
}

export interface GridOptions {
  /** Displayed width of each panel in CSS px (default: its own width, at most 320). */
  width?: number;
  /** Show pixels as blocks rather than smoothed when enlarged (zooms, small maps). */
  pixelated?: boolean;
  /** A line above the grid. */
  caption?: string;
}

/** Images in rows, each with its title under it. */
export async function imageGrid(rows: readonly (readonly Panel[])[], o: GridOptions = {}): Promise<Bundle> {
  const out: string[] = [];
  for (const row of rows) {
    const cells: string[] = [];
    for (const p of row) {
      const r = await asRaster(p.image);
      cells.push(figure(await dataUrl(r), p.title, o.width ?? Math.min(320, r.width), o.pixelated ?? false));
    }
    out.push(`<div style="display:flex;flex-wrap:wrap;align-items:flex-start">${cells.join('')}</div>`);
  }
  const caption = o.caption ? `<div style="font:13px sans-serif;margin:4px 0">${escapeHtml(o.caption)}</div>` : '';
  return html(`<div class="deblur-grid">${caption}${out.join('')}</div>`);
}

export function validateRegion(r: Region, width: number, height: number): void {
  const ok = [r.left, r.top, r.width, r.height].every(Number.isInteger) && r.width > 0 && r.height > 0;
  if (!ok || r.left < 0 || r.top < 0 || r.left + r.width > width || r.top + r.height > height) {
    throw new UsageError(`region ${r.width}×${r.height} at (${r.left}, ${r.top}) is not inside the ${width}×${height} image`);
  }
}

/** A copy of `r` with the outline of `region` drawn in `color` (RGB in [0, 1]). */
export function drawBox(r: Raster, region: Region, color: [number, number, number] = [1, 0.15, 0.1], thickness = 2): Raster {
  validateRegion(region, r.width, r.height);
  const out = createRaster(r.width, r.height, Float32Array.from(r.data));
  const { left, top, width, height } = region;
  for (let y = top; y < top + height; y++)
    for (let x = left; x < left + width; x++) {
      const edge = x - left < thickness || left + width - 1 - x < thickness || y - top < thickness || top + height - 1 - y < thickness;
      if (edge) out.data.set(color, (y * r.width + x) * 3);
    }
  return out;
}

/** `r` enlarged `factor` times by pixel replication (no smoothing: the pixels are the evidence). */
export function enlarge(r: Raster, factor: number): Raster {
  if (!Number.isInteger(factor) || factor < 1) throw new UsageError(`zoom must be a whole number ≥ 1, got ${factor}`);
  const out = createRaster(r.width * factor, r.height * factor);
  for (let y = 0; y < out.height; y++)
    for (let x = 0; x < out.width; x++) {
      const from = (Math.floor(y / factor) * r.width + Math.floor(x / factor)) * 3;
      out.data.set(r.data.subarray(from, from + 3), (y * out.width + x) * 3);
    }
  return out;
}

export interface InsetOptions {
  /** Enlargement of the region (default: to about 256 px wide). */
  zoom?: number;
  /** Displayed width of the full images in CSS px (default 256). */
  width?: number;
  caption?: string;
}

/**
 * The paper's figure style: every image whole with the region outlined, and under each the
 * region enlarged, so several results can be compared at the same spot.
 */
export async function zoomInsets(panels: readonly Panel[], region: Region, o: InsetOptions = {}): Promise<Bundle> {
  const rasters = await Promise.all(panels.map((p) => asRaster(p.image)));
  const first = rasters[0];
  if (!first) throw new UsageError('zoomInsets: no images');
  for (const r of rasters) {
    if (r.width !== first.width || r.height !== first.height) {
      throw new UsageError(`zoomInsets: images differ in size (${r.width}×${r.height} vs ${first.width}×${first.height})`);
    }
  }
  validateRegion(region, first.width, first.height);
  const zoom = o.zoom ?? Math.max(1, Math.round(256 / region.width));
  const whole = rasters.map((r, i) => ({ image: drawBox(r, region), title: panels[i]!.title }));
  const insets: Panel[] = [];
  for (const r of rasters) {
    insets.push({ image: enlarge(cropRaster(r, region.left, region.top, region.width, region.height), zoom) });
  }
  const width = o.width ?? 256;
  // One grid, images above their insets, columns that shrink together: side by side at any notebook width, never wrapped.
  const cell = async (p: Panel, pixelated: boolean): Promise<string> => {
    const cap = p.title ? `<figcaption style="font:12px sans-serif;text-align:center;margin-top:2px;overflow-wrap:anywhere">${escapeHtml(p.title)}</figcaption>` : '';
    return `<figure style="margin:0;min-width:0"><img src="${await dataUrl(await asRaster(p.image))}" alt="${escapeHtml(p.title ?? '')}" style="width:100%;height:auto;display:block${pixelated ? ';image-rendering:pixelated' : ''}">${cap}</figure>`;
  };
  const cells = [...(await Promise.all(whole.map((p) => cell(p, false)))), ...(await Promise.all(insets.map((p) => cell(p, true))))];
  const caption = o.caption ? `<div style="font:13px sans-serif;margin:4px 0">${escapeHtml(o.caption)}</div>` : '';
  return html(`<div class="deblur-insets">${caption}<div style="display:grid;grid-template-columns:repeat(${panels.length}, minmax(0, ${width}px));gap:6px;align-items:start">${cells.join('')}</div></div>`);
}

/** Per-pixel error |a − b| averaged over the three channels, as an [H × W] map. */
export async function errorValues(a: ImageLike, b: ImageLike): Promise<{ values: Float32Array; width: number; height: number }> {
  const [ra, rb] = await Promise.all([asRaster(a), asRaster(b)]);
  if (ra.width !== rb.width || ra.height !== rb.height) {
    throw new UsageError(`error map: images differ in size (${ra.width}×${ra.height} vs ${rb.width}×${rb.height})`);
  }
  const values = new Float32Array(ra.width * ra.height);
  for (let i = 0; i < values.length; i++) {
    values[i] = (Math.abs(ra.data[3 * i]! - rb.data[3 * i]!) + Math.abs(ra.data[3 * i + 1]! - rb.data[3 * i + 1]!) + Math.abs(ra.data[3 * i + 2]! - rb.data[3 * i + 2]!)) / 3;
  }
  return { values, width: ra.width, height: ra.height };
}

/**
 * |a − b| as a colour image. Pass the same `range` to maps that are compared side by side, or
 * each is stretched to its own maximum and they cannot be compared.
 */
export async function errorMap(a: ImageLike, b: ImageLike, o: ColorizeOptions = {}): Promise<Raster> {
  const { values, width, height } = await errorValues(a, b);
  return colorize(values, width, height, { colormap: 'magma', range: o.range ?? [0, 0.25], ...o });
}

/** A scalar map tensor [H, W] as a colour image. */
export async function scalarImage(map: tf.Tensor, o: ColorizeOptions = {}): Promise<Raster> {
  if (map.rank !== 2) throw new UsageError(`scalarImage: expected an [H, W] map, got [${map.shape}]`);
  const [h, w] = map.shape as [number, number];
  return colorize(await map.data(), w, h, o);
}

/**
 * The size×size square (on a `step` grid) with the most detail in `r`: the largest sum of
 * squared differences between neighbouring pixels. A good place for a zoom box, chosen from
 * the sharp image so every method is judged at the same spot.
 */
export function detailRegion(r: Raster, size: number, step = 8): Region {
  if (size > r.width || size > r.height) throw new UsageError(`a ${size}px region does not fit the ${r.width}×${r.height} image`);
  // Energy per pixel, then a summed-area table so every window costs O(1).
  const w = r.width;
  const sat = new Float64Array((r.width + 1) * (r.height + 1));
  for (let y = 0; y < r.height; y++) {
    let row = 0;
    for (let x = 0; x < w; x++) {
      let e = 0;
      for (let c = 0; c < 3; c++) {
        const v = r.data[(y * w + x) * 3 + c]!;
        if (x + 1 < w) e += (r.data[(y * w + x + 1) * 3 + c]! - v) ** 2;
        if (y + 1 < r.height) e += (r.data[((y + 1) * w + x) * 3 + c]! - v) ** 2;
      }
      row += e;
      sat[(y + 1) * (w + 1) + x + 1] = sat[y * (w + 1) + x + 1]! + row;
    }
  }
  const sum = (x: number, y: number) => sat[(y + size) * (w + 1) + x + size]! - sat[y * (w + 1) + x + size]! - sat[(y + size) * (w + 1) + x]! + sat[y * (w + 1) + x]!;
  let best = { left: 0, top: 0, energy: -1 };
  for (let y = 0; y + size <= r.height; y += step)
    for (let x = 0; x + size <= r.width; x += step) {
      const e = sum(x, y);
      if (e > best.energy) best = { left: x, top: y, energy: e };
    }
  return { left: best.left, top: best.top, width: size, height: size };
}
