import { psnr } from '../../metrics';
import { Rng } from '../../random';
import type { Raster } from '../raster';
import { extentForFrame, synthesizePair, type BlurModel } from './synthesize';

export interface Spread {
  mean: number;
  std: number;
}

export interface ExtentRow {
  extent: number;
  n: number;
  /** PSNR(blurred, sharp) in dB, GoPro's `blur` (sRGB average). */
  blur: Spread;
  /** The same for `blur_gamma` (linear-light average). */
  blurGamma: Spread;
}

export function spread(values: readonly number[]): Spread {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  return { mean, std };
}

/**
 * How strong the synthetic blur is: mean PSNR(blurred, sharp) at each extent, over `draws` random
 * crops and camera paths per frame. Every extent gets the same random streams, so the path shapes
 * are the same and only their scale (and the crop's border margin) changes: the curve shows the
 * effect of the extent, not of a new draw.
 */
export function psnrByExtent(
  frames: readonly Raster[],
  extents: readonly number[],
  o: { crop: number; draws: number; seed: number; model?: BlurModel; longSide?: number },
): ExtentRow[] {
  return extents.map((extent) => {
    const blur: number[] = [];
    const gamma: number[] = [];
    frames.forEach((frame, f) => {
      for (let d = 0; d < o.draws; d++) {
        const p = synthesizePair(frame, Rng.seeded(o.seed, f, d), { extent: extentForFrame(extent, frame, o.longSide ?? 1280), model: o.model ?? 'shake', crop: { width: o.crop, height: o.crop } });
        blur.push(psnr(p.blur, p.sharp));
        gamma.push(psnr(p.blurGamma, p.sharp));
      }
    });
    return { extent, n: blur.length, blur: spread(blur), blurGamma: spread(gamma) };
  });
}
