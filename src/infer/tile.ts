import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../errors';
import { padToMultiple, restore, SIZE_MULTIPLE, type Network, type Restored } from './restore';

export interface TileOptions {
  /** Tile side in pixels, a multiple of 4 (tiles are clipped to the image). */
  tile: number;
  /** How far neighbouring tiles overlap, a multiple of 4; seams are cross-faded over it. */
  overlap: number;
}

/** In 512² tiles a 1280×720 frame keeps the `full` network (C=32, N=8) under 0.5 GiB of wasm heap; whole, on wasm's own kernels, it filled all 4 GiB. */
export const DEFAULT_TILING: TileOptions = { tile: 512, overlap: 64 };

export function validateTiling(o: TileOptions): void {
  const { tile, overlap } = o;
  if (!Number.isInteger(tile) || tile < 16 || tile % SIZE_MULTIPLE !== 0) throw new UsageError(`tile must be a multiple of 4, at least 16 (got ${tile})`);
  if (!Number.isInteger(overlap) || overlap < 0 || overlap % SIZE_MULTIPLE !== 0) throw new UsageError(`overlap must be a multiple of 4, at least 0 (got ${overlap})`);
  if (overlap >= tile) throw new UsageError(`overlap ${overlap} must be smaller than the tile ${tile}`);
}

/** Start offsets of tiles of side `tile` covering [0, n): stride tile − overlap, the last one flush with the end. */
export function tileStarts(n: number, tile: number, overlap: number): number[] {
  if (tile >= n) return [0];
  const starts: number[] = [];
  for (let s = 0; s + tile < n; s += tile - overlap) starts.push(s);
  starts.push(n - tile);
  return starts;
}

/**
 * Cross-fade weights along one axis of a tile at scale 1/f: a linear ramp over the overlap on each
 * side that has a neighbour, 1 elsewhere (and at the image's own edges). Never zero, so every pixel
 * is covered; overlapping ramps are normalised by their sum when tiles are merged.
 */
export function blendRamp(start: number, tile: number, n: number, overlap: number, f: number): Float32Array {
  const len = tile / f;
  const ramp = overlap / f;
  const w = new Float32Array(len).fill(1);
  if (ramp === 0) return w;
  for (let i = 0; i < len; i++) {
    if (start > 0) w[i] = Math.min(w[i]!, (i + 0.5) / ramp);
    if (start + tile < n) w[i] = Math.min(w[i]!, (len - i - 0.5) / ramp);
  }
  return w;
}

export interface TileProgress {
  (done: number, total: number): void;
}

/**
 * Runs the network on one large image [1, H, W, 3] tile by tile, so that only one tile's
 * activations are ever in memory, and merges the three output scales with cross-faded seams.
 *
 * Tiles start at multiples of 4, so each tile's S2 and S3 fall exactly on the image's ½ and ¼
 * grids. The result is close to, not equal to, the whole-image output: channel attention and DFFM
 * pool over the whole input they see, so a tile's statistics differ a little from the frame's.
 */
export async function restoreTiled(model: Network, image: tf.Tensor4D, o: TileOptions = DEFAULT_TILING, onTile?: TileProgress): Promise<Restored> {
  validateTiling(o);
  if (image.shape[0] !== 1) throw new UsageError(`tiled inference takes one image at a time (got a batch of ${image.shape[0]})`);
  const [, h, w] = image.shape;
  const padded = padToMultiple(image);
  const [, H, W] = padded.tensor.shape;
  const th = Math.min(o.tile, H);
  const tw = Math.min(o.tile, W);
  const ys = tileStarts(H, th, o.overlap);
  const xs = tileStarts(W, tw, o.overlap);
  const scales = [4, 2, 1] as const; // the order of Restored: S3, S2, S1
  const acc = scales.map((f) => new Float32Array((H / f) * (W / f) * 3));
  const wsum = scales.map((f) => new Float32Array((H / f) * (W / f)));
  let done = 0;
  try {
    for (const y0 of ys) {
      for (const x0 of xs) {
        const outs = tf.tidy(() => {
          const r = restore(model, tf.slice(padded.tensor, [0, y0, x0, 0], [1, th, tw, 3]));
          return [r.s3, r.s2, r.s1];
        });
        const values = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
        tf.dispose(outs);
        scales.forEach((f, k) => {
          const wy = blendRamp(y0, th, H, o.overlap, f);
          const wx = blendRamp(x0, tw, W, o.overlap, f);
          const rowLen = W / f;
          const tileW = tw / f;
          const v = values[k]!;
          const a = acc[k]!;
          const s = wsum[k]!;
          for (let i = 0; i < th / f; i++) {
            for (let j = 0; j < tileW; j++) {
              const weight = wy[i]! * wx[j]!;
              const p = (y0 / f + i) * rowLen + x0 / f + j;
              s[p]! += weight;
              for (let c = 0; c < 3; c++) a[p * 3 + c]! += weight * v[(i * tileW + j) * 3 + c]!;
            }
          }
        });
        onTile?.(++done, ys.length * xs.length);
      }
    }
  } finally {
    padded.tensor.dispose();
  }
  const merged = scales.map((f, k) => {
    const a = acc[k]!;
    const s = wsum[k]!;
    for (let p = 0; p < s.length; p++) for (let c = 0; c < 3; c++) a[p * 3 + c]! /= s[p]!;
    const full = tf.tensor4d(a, [1, H / f, W / f, 3]);
    if (H === h && W === w) return full;
    const cropped = tf.slice(full, [0, 0, 0, 0], [1, Math.ceil(h / f), Math.ceil(w / f), 3]);
    full.dispose();
    return cropped;
  }) as tf.Tensor4D[];
  return { s3: merged[0]!, s2: merged[1]!, s1: merged[2]! };
}
