import type { Rng } from '../../random';
import { cropRaster, quantize8, type Raster } from '../raster';
import { addSensorNoise, boostHighlights, clip01, jpegRoundTrip, type CameraEffects } from './camera-effects';
import { randomCameraPath, type CameraPath, type SharpFrame } from './camera-path';
import { diskKernel } from './defocus';
import { withDepthOfField, type DepthOfField } from './depth-of-field';
import { fromLinear, toLinear } from './gamma';
import { handheldPath } from './handheld-path';
import { warpAverage, type Window } from './shake';
import { convolve, randomTrajectory, trajectoryKernel, withSpan, type Kernel } from './trajectory';

/**
 * How a pair is blurred. `shake`: the lab's non-uniform camera shake (camera-path.ts); `gopro`: an
 * independent hand-held model at 240 fps whose sharp image is the middle frame (handheld-path.ts);
 * `trajectory`: uniform Boracchi–Foi kernels; `defocus`: a uniform disk (extent = its diameter);
 * `none`: the sharp image itself, so a network can be asked to leave it alone.
 */
export type BlurModel = 'shake' | 'gopro' | 'trajectory' | 'defocus' | 'none';
export const BLUR_MODELS: readonly BlurModel[] = ['shake', 'gopro', 'trajectory', 'defocus', 'none'];

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
  /** GoPro's `blur`: the frames averaged in sRGB (with camera effects: the same as blurGamma). */
  blur: Raster;
  /** GoPro's `blur_gamma`: averaged in linear light (gamma 2.2). */
  blurGamma: Raster;
  window: Window;
  extent: number;
  /** Frames averaged (shake, gopro), trajectory steps (trajectory), 1 (defocus, none). */
  poses: number;
  /** The camera effects applied (JPEG still to come: see compressPair). */
  camera?: CameraEffects;
  /** The scene's depth of field, when part of it was out of focus. */
  depthOfField?: DepthOfField;
  /** The camera's noise was grain of the scene, in the sharp image too. */
  grain?: true;
}

export interface PairOptions {
  /** Blur extent in pixels of this frame (defocus: the disk's diameter; none: ignored). */
  extent: number;
  model: BlurModel;
  crop?: { width: number; height: number };
  /** shake only: which pose the sharp image shows (default 'mean'; gopro always uses the middle frame). */
  sharpFrame?: SharpFrame;
  /** Draw the window once, flat or not (default false: flat windows are redrawn, see MIN_TEXTURE). */
  keepFlat?: boolean;
  /** Highlights and sensor noise are applied here, in linear light; JPEG afterwards by compressPair. */
  camera?: CameraEffects;
  /** Part of the scene out of focus before any motion (depth-of-field.ts): the sharp image keeps it. */
  depthOfField?: DepthOfField;
  /** The camera's noise is grain of the scene: added before the blur, so the sharp image has it too. */
  grain?: boolean;
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

/** A blur of one window of a frame, applicable to any image in the frame's coordinates. */
interface WindowBlur {
  apply(image: Raster): Raster;
  extent: number;
  poses: number;
}

function warpBlur(path: CameraPath, window: Window): WindowBlur {
  return { apply: (image) => warpAverage(image, path, window), extent: path.extent, poses: path.poses.length };
}

/** Blurs a region grown by the kernel's reach, so the crop's edges see real neighbours where they exist. */
function kernelWindowBlur(kernel: Kernel, window: Window, extent: number, poses: number): WindowBlur {
  return {
    apply: (image) => {
      const half = (kernel.size - 1) / 2;
      const left = Math.max(0, window.left - half);
      const top = Math.max(0, window.top - half);
      const right = Math.min(image.width, window.left + window.width + half);
      const bottom = Math.min(image.height, window.top + window.height + half);
      const blurred = convolve(cropRaster(image, left, top, right - left, bottom - top), kernel);
      return cropRaster(blurred, window.left - left, window.top - top, window.width, window.height);
    },
    extent,
    poses,
  };
}

function windowBlur(frame: Raster, window: Window, rng: Rng, o: PairOptions): WindowBlur {
  switch (o.model) {
    case 'shake':
      return warpBlur(randomCameraPath(rng, frame.width, frame.height, { extent: o.extent, ...(o.sharpFrame ? { sharpFrame: o.sharpFrame } : {}) }), window);
    case 'gopro':
      return warpBlur(handheldPath(rng, frame.width, frame.height, { extent: o.extent }), window);
    case 'trajectory': {
      // Boracchi–Foi trajectories curl back on themselves: scale to the same extent (span) as shake.
      const traj = withSpan(randomTrajectory(rng, { length: o.extent }), o.extent);
      return kernelWindowBlur(trajectoryKernel(traj), window, o.extent, traj.x.length);
    }
    case 'defocus':
      return kernelWindowBlur(diskKernel(o.extent), window, o.extent, 1);
    case 'none':
      return { apply: (image) => cropRaster(image, window.left, window.top, window.width, window.height), extent: 0, poses: 1 };
  }
}

/** Frames in linear light, kept while the frame is: a dataset makes many pairs from one frame. */
const linearFrames = new WeakMap<Raster, Raster>();
function linearOf(frame: Raster): Raster {
  let linear = linearFrames.get(frame);
  if (!linear) linearFrames.set(frame, (linear = toLinear(frame)));
  return linear;
}

/**
 * One training pair from a sharp frame: the blur, both GoPro variants, all quantised to 8 bits as
 * they will be stored. With a crop size the window is drawn at random, kept at least the blur
 * extent away from the frame's border when the frame allows (so the blur never sees past the
 * photo's edge), and redrawn (up to 10 times, then the most textured draw) while it is flat unless
 * `keepFlat`; without a crop size it is the whole frame.
 *
 * With camera effects the pair is made in linear light as a camera makes it: highlights restored
 * above white, blurred, clipped, noise added, clipped, gamma; the sharp image is the same scene
 * clipped without blur or noise. Both blurred variants are then that one image.
 */
export function synthesizePair(frame: Raster, rng: Rng, o: PairOptions): SynthesizedPair {
  const cw = o.crop?.width ?? frame.width;
  const ch = o.crop?.height ?? frame.height;
  if (cw > frame.width || ch > frame.height) throw new Error(`synthesizePair: crop ${cw}×${ch} larger than the ${frame.width}×${frame.height} frame`);
  const pick = (room: number): number => {
    const margin = Math.min(Math.ceil(o.extent) + 2, Math.floor(room / 2));
    return rng.int(margin, room - margin);
  };
  let best: { window: Window; sharp: Raster; texture: number } | undefined;
  const tries = o.keepFlat ? 1 : WINDOW_TRIES;
  for (let i = 0; i < tries && !(best && best.texture >= MIN_TEXTURE); i++) {
    const window: Window = { left: pick(frame.width - cw), top: pick(frame.height - ch), width: cw, height: ch };
    const sharp = cropRaster(frame, window.left, window.top, cw, ch);
    const t = o.crop && !o.keepFlat ? texture(sharp) : Infinity;
    if (!best || t > best.texture) best = { window, sharp, texture: t };
  }
  const { window } = best!;
  // The scene as the lens rendered it: every blur below reads at most `reach` pixels around the window.
  const dof = o.depthOfField;
  if (dof) frame = withDepthOfField(frame, window, Math.ceil(o.extent) + 4, dof); // from here on, the scene as the lens rendered it
  const grain = o.grain && o.camera?.noise ? o.camera.noise : undefined;
  if (grain) frame = withGrain(frame, window, Math.ceil(o.extent) + 4, grain, rng); // and as the sensor recorded it
  const sharp = dof || grain ? cropRaster(frame, window.left, window.top, cw, ch) : best!.sharp;
  const blur = windowBlur(frame, window, rng, o);
  const made = { window, extent: blur.extent, poses: blur.poses, ...(dof ? { depthOfField: dof } : {}), ...(grain ? { grain: true as const } : {}) };
  const camera = grain ? { ...o.camera!, noise: null } : o.camera; // the noise is in the scene already
  if (!camera || (!camera.highlights && !camera.noise)) {
    const pair = { sharp, blur: quantize8(blur.apply(frame)), blurGamma: quantize8(fromLinear(blur.apply(linearOf(frame)))), ...made };
    return camera ? { ...pair, camera } : pair;
  }
  const scene = camera.highlights ? boostHighlights(linearOf(frame), camera.highlights) : linearOf(frame);
  let linear = clip01(blur.apply(scene));
  if (camera.noise) linear = addSensorNoise(linear, camera.noise, rng);
  const blurred = quantize8(fromLinear(linear));
  const clippedSharp = camera.highlights ? quantize8(fromLinear(clip01(cropRaster(scene, window.left, window.top, cw, ch)))) : sharp;
  return { sharp: clippedSharp, blur: blurred, blurGamma: blurred, ...made, camera };
}

/**
 * The frame with sensor noise (Poisson–Gaussian in linear light, as addSensorNoise) in the window
 * and `reach` pixels around it, where every blur reads, quantised to 8 bits as a camera stores its
 * pixels. The blur then averages this grain as a moving camera averages its frames' noise, while
 * the sharp image keeps all of it, like GoPro's sharp frame.
 */
export function withGrain(frame: Raster, window: Window, reach: number, noise: { shot: number; read: number }, rng: Rng): Raster {
  const left = Math.max(0, window.left - reach);
  const top = Math.max(0, window.top - reach);
  const w = Math.min(frame.width, window.left + window.width + reach) - left;
  const h = Math.min(frame.height, window.top + window.height + reach) - top;
  const grainy = quantize8(fromLinear(addSensorNoise(toLinear(cropRaster(frame, left, top, w, h)), noise, rng)));
  const out = { width: frame.width, height: frame.height, data: Float32Array.from(frame.data) };
  for (let y = 0; y < h; y++) out.data.set(grainy.data.subarray(y * w * 3, (y + 1) * w * 3), ((top + y) * frame.width + left) * 3);
  return out;
}

/** The pair's blurred images as the camera's JPEG would store them, when its effects ask for JPEG. */
export async function compressPair(pair: SynthesizedPair): Promise<SynthesizedPair> {
  const q = pair.camera?.jpeg;
  if (q === undefined || q === null) return pair;
  const blur = await jpegRoundTrip(pair.blur, q);
  return { ...pair, blur, blurGamma: pair.blurGamma === pair.blur ? blur : await jpegRoundTrip(pair.blurGamma, q) };
}
