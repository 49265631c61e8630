import { createRaster, type Raster } from '../raster';

/**
 * GoPro's `blur_gamma` frames were averaged in linear light with a plain power-law gamma of 2.2
 * (not the piecewise sRGB curve), so that is the curve used here.
 */
export const GAMMA = 2.2;

export function toLinear(r: Raster): Raster {
  return createRaster(r.width, r.height, r.data.map((v) => Math.pow(Math.max(0, v), GAMMA)));
}

export function fromLinear(r: Raster): Raster {
  return createRaster(r.width, r.height, r.data.map((v) => Math.pow(Math.max(0, v), 1 / GAMMA)));
}
