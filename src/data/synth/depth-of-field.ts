import type { Rng } from '../../random';
import { cropRaster, type Raster } from '../raster';
import { diskKernel } from './defocus';
import { GAMMA, toLinear } from './gamma';
import type { Window } from './shake';
import { convolve } from './trajectory';

/**
 * A shallow depth of field in the sharp scene itself: part of a crop (or all of it) is out of
 * focus, as the background of a macro or portrait photo is. Motion blur is then made from that
 * scene, so the network's target keeps the defocus and only the motion is to be removed: what a
 * deblurrer must learn in order to leave bokeh alone (without it, networks sharpen soft
 * backgrounds into hard edges, on sharp inputs too).
 *
 * A two-layer model: the in-focus scene and the scene seen through one disk (the circle of
 * confusion), in linear light, blended by a soft mask: the side of a line across the crop, or the
 * whole crop. Real depth varies continuously; this teaches the appearance of both layers and of
 * the boundary between them.
 */
export interface DepthOfField {
  /** Disk diameter of the out-of-focus layer, in pixels of the frame. */
  diameter: number;
  /** The whole crop out of focus, or the side of a line. */
  whole: boolean;
  /** The line's normal, radians. */
  angle: number;
  /** Where the line crosses, from the crop's centre along the normal, in crop sides (−0.4…0.4). */
  offset: number;
  /** Width of the blend across the line, pixels. */
  softness: number;
}

export interface DepthOfFieldRanges {
  diameter: readonly [number, number];
  /** Chance that the whole crop is out of focus. */
  whole: number;
  softness: readonly [number, number];
}

/** Disks of 2–12 px at GoPro scale: soft backgrounds to strong bokeh. */
export const DEPTH_OF_FIELD_RANGES: DepthOfFieldRanges = { diameter: [2, 12], whole: 0.4, softness: [2, 24] };

export function drawDepthOfField(rng: Rng, r: DepthOfFieldRanges = DEPTH_OF_FIELD_RANGES): DepthOfField {
  return {
    diameter: rng.uniform(r.diameter[0], r.diameter[1]),
    whole: rng.bernoulli(r.whole),
    angle: rng.uniform(0, 2 * Math.PI),
    offset: rng.uniform(-0.4, 0.4),
    softness: rng.uniform(r.softness[0], r.softness[1]),
  };
}

/** The share of the out-of-focus layer at (x, y) of a crop of width × height. */
export function defocusShare(d: DepthOfField, x: number, y: number, width: number, height: number): number {
  if (d.whole) return 1;
  const side = Math.max(width, height);
  const along = (x + 0.5 - width / 2) * Math.cos(d.angle) + (y + 0.5 - height / 2) * Math.sin(d.angle) - d.offset * side;
  return 1 / (1 + Math.exp(-along / (d.softness / 4)));
}

/**
 * A copy of `frame` whose region `window` grown by `reach` pixels (what a blur of the window reads)
 * is the depth-of-field scene: frame and disk-blurred frame blended by the mask, in linear light.
 * The rest of the frame is left as it was (no blur ever reads it for this window).
 */
export function withDepthOfField(frame: Raster, window: Window, reach: number, d: DepthOfField): Raster {
  const kernel = diskKernel(d.diameter);
  const k = (kernel.size - 1) / 2;
  const left = Math.max(0, window.left - reach);
  const top = Math.max(0, window.top - reach);
  const right = Math.min(frame.width, window.left + window.width + reach);
  const bottom = Math.min(frame.height, window.top + window.height + reach);
  // The disk reads k pixels beyond the region too, where the frame has them.
  const outer = { left: Math.max(0, left - k), top: Math.max(0, top - k) };
  const ow = Math.min(frame.width, right + k) - outer.left;
  const oh = Math.min(frame.height, bottom + k) - outer.top;
  const linear = toLinear(cropRaster(frame, outer.left, outer.top, ow, oh));
  const soft = convolve(linear, kernel);
  const out = { width: frame.width, height: frame.height, data: Float32Array.from(frame.data) };
  for (let y = top; y < bottom; y++) {
    for (let x = left; x < right; x++) {
      const m = defocusShare(d, x - window.left, y - window.top, window.width, window.height);
      if (m < 1e-4) continue;
      const i = (y * frame.width + x) * 3;
      const j = ((y - outer.top) * ow + (x - outer.left)) * 3;
      // Blended in linear light, as light from the two layers adds.
      for (let c = 0; c < 3; c++) out.data[i + c] = Math.pow(Math.max(0, (1 - m) * linear.data[j + c]! + m * soft.data[j + c]!), 1 / GAMMA);
    }
  }
  return out;
}
