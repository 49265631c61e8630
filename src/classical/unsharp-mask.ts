import { createRaster, type Raster } from '../data/raster';
import { channelPlane, gaussianFilter, gaussianTaps } from '../filters';

/** An unsharp mask's two parameters: the Gaussian's σ in pixels and how much of the detail to add back. */
export interface UnsharpMask {
  sigma: number;
  amount: number;
}

/**
 * The detail an unsharp mask adds, x − G_σ ∗ x, per channel (scipy.ndimage.gaussian_filter's
 * Gaussian: truncated at 4σ, mirror edges), as one interleaved float64 array like the raster's.
 */
export function unsharpDetail(image: Raster, sigma: number): Float64Array {
  const taps = gaussianTaps(sigma);
  const detail = new Float64Array(image.data.length);
  for (let c = 0; c < 3; c++) {
    const blurred = gaussianFilter(channelPlane(image, c), image.width, image.height, taps);
    for (let i = 0; i < blurred.length; i++) detail[i * 3 + c] = image.data[i * 3 + c]! - blurred[i]!;
  }
  return detail;
}

/** x + amount · (x − G_σ ∗ x), clipped to [0, 1]: the classical sharpening baseline. */
export function unsharpMask(image: Raster, p: UnsharpMask): Raster {
  const detail = unsharpDetail(image, p.sigma);
  const out = new Float32Array(image.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(1, Math.max(0, image.data[i]! + p.amount * detail[i]!));
  return createRaster(image.width, image.height, out);
}
