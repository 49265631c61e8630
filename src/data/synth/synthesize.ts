import type { Rng } from '../../random';
import { cropRaster, quantize8, type Raster } from '../raster';
import { randomCameraPath } from './camera-path';
import { shakeBlur, type Window } from './shake';
import { kernelBlur, randomTrajectory, trajectoryKernel, withSpan } from './trajectory';

/** `shake`: GoPro-style non-uniform camera shake; `trajectory`: uniform Boracchi–Foi kernels. */
export type BlurModel = 'shake' | 'trajectory';
export const BLUR_MODELS: readonly BlurModel[] = ['shake', 'trajectory'];

/**
 * Blur extent range in pixels at GoPro scale (long side 1280). Chosen so that the mean PSNR of
 * blurred vs sharp lands near GoPro's own ~25–26 dB: see data/sample/README.md for the measurement.
 */
export const DEFAULT_EXTENT: readonly [number, number] = [8, 32];

/**
 * Extents are given at GoPro scale (a frame whose long side is `longSide`); a smaller frame gets a
 * proportionally smaller one, as if shot on a smaller sensor.
 */
export function extentForFrame(extent: number, frame: Raster, longSide: number): number {
  return (extent * Math.min(longSide, Math.max(frame.width, frame.height))) / longSide;
}

export interface SynthesizedPair {
  sharp: Raster;
  blur: Raster;
  blurGamma: Raster;
  window: Window;
  extent: number;
  /** Frames averaged (shake) or trajectory steps (trajectory). */
  poses: number;
}

/** Mean |horizontal| + |vertical| difference of the grey image: ~0.001 for sky, ~0.02+ for detail. */
export function texture(r: Raster): number {
  const { width: w, height: h, data: d } = r;
  const grey = (i: number): number => (d[i * 3]! + d[i * 3 + 1]! + d[i * 3 + 2]!) / 3;
  let sum = 0;
  for (let y = 0; y < h - 1; y++) {
    for (let x = 0; x < w - 1; x++) {
      const g = grey(y * w + x);
      sum += Math.abs(grey(y * w + x + 1) - g) + Math.abs(grey((y + 1) * w + x) - g);
    }
  }
  return sum / ((w - 1) * (h - 1));
}

/** Crops flatter than this (clear sky, bokeh) teach deblurring nothing: windows are redrawn. */
export const MIN_TEXTURE = 0.01;
const WINDOW_TRIES = 10;

/**
 * One training pair from a sharp frame: the blur, both GoPro variants, all quantised to 8 bits as
 * they will be stored. With a crop size the window is drawn at random, kept at least the blur
 * extent away from the frame's border when the frame allows (so the blur never sees past the
 * photo's edge), and redrawn (up to 10 times, then the most textured draw) while it is flat;
 * without a crop size it is the whole frame.
 */
export function synthesizePair(frame: Raster, rng: Rng, o: { extent: number; model: BlurModel; crop?: { width: number; height: number } }): SynthesizedPair {
  const cw = o.crop?.width ?? frame.width;
  const ch = o.crop?.height ?? frame.height;
  if (cw > frame.width || ch > frame.height) throw new Error(`synthesizePair: crop ${cw}×${ch} larger than the ${frame.width}×${frame.height} frame`);
  const pick = (room: number): number => {
    const margin = Math.min(Math.ceil(o.extent) + 2, Math.floor(room / 2));
    return rng.int(margin, room - margin);
  };
  let best: { window: Window; sharp: Raster; texture: number } | undefined;
  for (let i = 0; i < WINDOW_TRIES && !(best && best.texture >= MIN_TEXTURE); i++) {
    const window: Window = { left: pick(frame.width - cw), top: pick(frame.height - ch), width: cw, height: ch };
    const sharp = cropRaster(frame, window.left, window.top, cw, ch);
    const t = o.crop ? texture(sharp) : Infinity;
    if (!best || t > best.texture) best = { window, sharp, texture: t };
  }
  const { window, sharp } = best!;
  if (o.model === 'shake') {
    const path = randomCameraPath(rng, frame.width, frame.height, { extent: o.extent });
    const r = shakeBlur(frame, path, window);
    return { sharp, blur: quantize8(r.blur), blurGamma: quantize8(r.blurGamma), window, extent: path.extent, poses: path.poses.length };
  }
  // Boracchi–Foi trajectories curl back on themselves: scale to the same extent (span) as shake.
  const traj = withSpan(randomTrajectory(rng, { length: o.extent }), o.extent);
  const kernel = trajectoryKernel(traj);
  // Blur a region grown by the kernel's reach, so the crop's edges see real neighbours where they exist.
  const half = (kernel.size - 1) / 2;
  const left = Math.max(0, window.left - half);
  const top = Math.max(0, window.top - half);
  const right = Math.min(frame.width, window.left + cw + half);
  const bottom = Math.min(frame.height, window.top + ch + half);
  const r = kernelBlur(cropRaster(frame, left, top, right - left, bottom - top), kernel);
  const cut = (x: Raster): Raster => quantize8(cropRaster(x, window.left - left, window.top - top, cw, ch));
  return { sharp, blur: cut(r.blur), blurGamma: cut(r.blurGamma), window, extent: o.extent, poses: traj.x.length };
}
