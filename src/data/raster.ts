import * as tf from '@tensorflow/tfjs';

/**
 * An RGB image in plain memory: `data` is row-major, channels interleaved (H × W × 3), values in
 * [0, 1]. The data side of the project (readers, crops, blur synthesis, metrics) works on rasters
 * so it can run without a tfjs backend; tensors are made only at the network's door.
 */
export interface Raster {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

export function createRaster(width: number, height: number, data?: Float32Array): Raster {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`createRaster: bad size ${width}×${height}`);
  }
  const size = width * height * 3;
  if (data && data.length !== size) throw new Error(`createRaster: ${data.length} values for ${width}×${height}×3`);
  return { width, height, data: data ?? new Float32Array(size) };
}

/** Mirror-edge index (scipy's "reflect": … c b a | a b c …) for sampling outside [0, n). */
export function mirrorIndex(i: number, n: number): number {
  const period = 2 * n;
  let j = ((i % period) + period) % period;
  if (j >= n) j = period - 1 - j;
  return j;
}

/**
 * Adds `weight` at the real-valued point (u, v) of a size × size grid, split bilinearly over the
 * four nearest cells (cells outside the grid get nothing). Returns the weight that landed.
 */
export function splatBilinear(grid: Float32Array, size: number, u: number, v: number, weight: number): number {
  const u0 = Math.floor(u);
  const v0 = Math.floor(v);
  const fu = u - u0;
  const fv = v - v0;
  let landed = 0;
  for (const [du, dv, w] of [[0, 0, (1 - fu) * (1 - fv)], [1, 0, fu * (1 - fv)], [0, 1, (1 - fu) * fv], [1, 1, fu * fv]] as const) {
    const uu = u0 + du;
    const vv = v0 + dv;
    if (uu >= 0 && uu < size && vv >= 0 && vv < size && w > 0) {
      grid[vv * size + uu]! += w * weight;
      landed += w * weight;
    }
  }
  return landed;
}

/** A copy of the window [left, left + width) × [top, top + height). */
export function cropRaster(r: Raster, left: number, top: number, width: number, height: number): Raster {
  if (left < 0 || top < 0 || left + width > r.width || top + height > r.height) {
    throw new Error(`cropRaster: window ${width}×${height}+${left}+${top} outside ${r.width}×${r.height}`);
  }
  const out = createRaster(width, height);
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * r.width + left) * 3;
    out.data.set(r.data.subarray(from, from + width * 3), y * width * 3);
  }
  return out;
}

/**
 * One of the 8 symmetries of the square (rotations by 90° and mirror images), as a copy:
 * bit 0 flips left–right, bit 1 flips top–bottom, bit 2 transposes first (swapping width and
 * height). 0 is the identity.
 */
export function dihedral(r: Raster, k: number): Raster {
  if (!Number.isInteger(k) || k < 0 || k > 7) throw new Error(`dihedral: k must be an integer in 0..7 (got ${k})`);
  const transpose = (k & 4) !== 0;
  const w = transpose ? r.height : r.width;
  const h = transpose ? r.width : r.height;
  const out = createRaster(w, h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // (x, y) in the output reads (sx, sy) of the transposed input, then the flips.
      const fx = k & 1 ? w - 1 - x : x;
      const fy = k & 2 ? h - 1 - y : y;
      const [sx, sy] = transpose ? [fy, fx] : [fx, fy];
      const from = (sy * r.width + sx) * 3;
      const to = (y * w + x) * 3;
      out.data[to] = r.data[from]!;
      out.data[to + 1] = r.data[from + 1]!;
      out.data[to + 2] = r.data[from + 2]!;
    }
  }
  return out;
}

/** Rounds every value to the nearest of the 256 levels an 8-bit PNG can hold (and clips to [0, 1]). */
export function quantize8(r: Raster): Raster {
  const out = new Float32Array(r.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, r.data[i]!)) * 255) / 255;
  return createRaster(r.width, r.height, out);
}

/** [1, H, W, 3] float32. */
export function rasterToTensor(r: Raster): tf.Tensor4D {
  return tf.tensor4d(r.data, [1, r.height, r.width, 3]);
}

/** Stacks same-sized rasters into one [N, H, W, 3] batch. */
export function rastersToBatch(rs: readonly Raster[]): tf.Tensor4D {
  const first = rs[0];
  if (!first) throw new Error('rastersToBatch: no rasters');
  const { width, height } = first;
  const plane = width * height * 3;
  const data = new Float32Array(plane * rs.length);
  rs.forEach((r, i) => {
    if (r.width !== width || r.height !== height) throw new Error(`rastersToBatch: ${r.width}×${r.height} ≠ ${width}×${height}`);
    data.set(r.data, i * plane);
  });
  return tf.tensor4d(data, [rs.length, height, width, 3]);
}

/** Reads one image of a [1, H, W, 3] or [H, W, 3] tensor back (asynchronously, as GPU backends need). */
export async function tensorToRaster(t: tf.Tensor): Promise<Raster> {
  const shape = t.rank === 4 ? t.shape.slice(1) : t.shape;
  if (shape.length !== 3 || shape[2] !== 3 || (t.rank === 4 && t.shape[0] !== 1)) {
    throw new Error(`tensorToRaster: expected one RGB image, got [${t.shape}]`);
  }
  const data = (await t.data()) as Float32Array;
  return createRaster(shape[1]!, shape[0]!, Float32Array.from(data));
}
