import sharp from 'sharp';
import type { Rng } from '../../random';
import { createRaster, type Raster } from '../raster';

/**
 * What a real camera adds to a blurred photo beyond the blur, after Rim et al. 2022 ("Realistic
 * Blur Synthesis for Learning Image Deblurring"), who found that leaving these out is a main
 * reason networks trained on synthetic blur fail on real blur:
 * - saturated highlights: light sources brighter than the sensor's white are clipped in the
 *   sharp photo, but their blur streaks are bright too, and clip again after blurring;
 * - sensor noise, Poisson–Gaussian in linear light (variance a·x + b: shot and read noise);
 * - JPEG compression of the result.
 * Each is drawn per pair; `null` leaves it out.
 */
export interface CameraEffects {
  /** Linear values above `threshold` are multiplied by up to `gain` (smoothly from the threshold) before blurring. */
  highlights: { threshold: number; gain: number } | null;
  /** Poisson–Gaussian noise in linear light: variance shot·x + read². */
  noise: { shot: number; read: number } | null;
  /** JPEG quality (libjpeg's 1–100 scale, 4:2:0 chroma as cameras store it). */
  jpeg: number | null;
}

/** How often and how strongly each effect is drawn (`drawCameraEffects`). */
export interface CameraEffectRanges {
  /** Chance of each effect on its own. */
  p: { highlights: number; noise: number; jpeg: number };
  gain: readonly [number, number];
  /** Drawn log-uniformly. */
  shot: readonly [number, number];
  read: readonly [number, number];
  quality: readonly [number, number];
}

/** Phone and action-camera-like ranges: ISO 100 to ~1600, quality 60–95. */
export const CAMERA_RANGES: CameraEffectRanges = {
  p: { highlights: 0.5, noise: 0.8, jpeg: 0.7 },
  gain: [1.5, 6],
  shot: [1e-4, 4e-3],
  read: [2e-4, 3e-3],
  quality: [60, 95],
};

export const NO_CAMERA_EFFECTS: CameraEffects = { highlights: null, noise: null, jpeg: null };

export function drawCameraEffects(rng: Rng, r: CameraEffectRanges = CAMERA_RANGES): CameraEffects {
  const logUniform = ([lo, hi]: readonly [number, number]): number => Math.exp(rng.uniform(Math.log(lo), Math.log(hi)));
  // Every draw is made whether or not the effect is kept, so one effect's chance does not change the others' values.
  const keep = { highlights: rng.bernoulli(r.p.highlights), noise: rng.bernoulli(r.p.noise), jpeg: rng.bernoulli(r.p.jpeg) };
  const highlights = { threshold: rng.uniform(0.6, 0.9), gain: rng.uniform(r.gain[0], r.gain[1]) };
  const noise = { shot: logUniform(r.shot), read: logUniform(r.read) };
  const jpeg = rng.int(r.quality[0], r.quality[1]);
  return { highlights: keep.highlights ? highlights : null, noise: keep.noise ? noise : null, jpeg: keep.jpeg ? jpeg : null };
}

/**
 * Linear light with its highlights restored above the sensor's white: a value v over the threshold
 * t becomes v · (1 + (gain − 1)·s), s rising smoothly (smoothstep) from 0 at t to 1 at v = 1, per
 * pixel from its brightest channel so hues are kept. Values ≤ t are unchanged.
 */
export function boostHighlights(linear: Raster, h: { threshold: number; gain: number }): Raster {
  const out = new Float32Array(linear.data.length);
  const d = linear.data;
  for (let i = 0; i < d.length; i += 3) {
    const m = Math.max(d[i]!, d[i + 1]!, d[i + 2]!);
    let k = 1;
    if (m > h.threshold) {
      const s = Math.min(1, (m - h.threshold) / (1 - h.threshold));
      k = 1 + (h.gain - 1) * s * s * (3 - 2 * s);
    }
    out[i] = d[i]! * k;
    out[i + 1] = d[i + 1]! * k;
    out[i + 2] = d[i + 2]! * k;
  }
  return createRaster(linear.width, linear.height, out);
}

export function clip01(r: Raster): Raster {
  return createRaster(r.width, r.height, r.data.map((v) => Math.min(1, Math.max(0, v))));
}

/** Adds Poisson–Gaussian noise (normal approximation, variance shot·x + read²) to linear light, then clips to [0, 1]. */
export function addSensorNoise(linear: Raster, n: { shot: number; read: number }, rng: Rng): Raster {
  const out = new Float32Array(linear.data.length);
  const read2 = n.read * n.read;
  for (let i = 0; i < out.length; i++) {
    const x = Math.max(0, linear.data[i]!);
    out[i] = Math.min(1, Math.max(0, x + Math.sqrt(n.shot * x + read2) * rng.normal()));
  }
  return createRaster(linear.width, linear.height, out);
}

/** The raster as a camera's JPEG would store it: 8-bit, encoded at `quality` with 4:2:0 chroma, decoded again. */
export async function jpegRoundTrip(r: Raster, quality: number): Promise<Raster> {
  const bytes = new Uint8Array(r.data.length);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.round(Math.min(1, Math.max(0, r.data[i]!)) * 255);
  const jpeg = await sharp(Buffer.from(bytes.buffer), { raw: { width: r.width, height: r.height, channels: 3 } })
    .jpeg({ quality, chromaSubsampling: '4:2:0', mozjpeg: false })
    .toBuffer();
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== r.width || info.height !== r.height) throw new Error('jpegRoundTrip: decoded image differs in shape');
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! / 255;
  return createRaster(r.width, r.height, out);
}

/** The effects in words, for manifests and tables: "highlights ×3.1 over 0.72, noise 1.2e-3/8.0e-4, JPEG 81". */
export function describeCameraEffects(e: CameraEffects): string {
  const parts: string[] = [];
  if (e.highlights) parts.push(`highlights ×${e.highlights.gain.toFixed(1)} over ${e.highlights.threshold.toFixed(2)}`);
  if (e.noise) parts.push(`noise ${e.noise.shot.toExponential(1)}/${e.noise.read.toExponential(1)}`);
  if (e.jpeg !== null) parts.push(`JPEG ${e.jpeg}`);
  return parts.length ? parts.join(', ') : 'none';
}
