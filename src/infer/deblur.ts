import * as tf from '@tensorflow/tfjs';
import { restore, type Network, type Restored } from './restore';
import { DEFAULT_TILING, restoreTiled, type TileOptions, type TileProgress } from './tile';

/** 'auto': whole image up to AUTO_TILE_PIXELS, tiles above; 'none': always whole; or explicit tiles. */
export type Tiling = 'auto' | 'none' | TileOptions;

/** Above this many pixels (one and a half default tiles) 'auto' tiles; smaller images run whole. */
export const AUTO_TILE_PIXELS = 512 * 768;

export interface Deblurred extends Restored {
  /** Tiles the image was run in (1: whole). */
  tiles: number;
}

/** Restores one image [1, H, W, 3] of any size, whole or in tiles as `tiling` says. The caller disposes the outputs. */
export async function deblurImage(model: Network, image: tf.Tensor4D, tiling: Tiling = 'auto', onTile?: TileProgress): Promise<Deblurred> {
  const [, h, w] = image.shape;
  const tiles: TileOptions | undefined = tiling === 'none' ? undefined : tiling === 'auto' ? (h * w > AUTO_TILE_PIXELS ? DEFAULT_TILING : undefined) : tiling;
  if (tiles === undefined) {
    const r = restore(model, image);
    onTile?.(1, 1);
    return { ...r, tiles: 1 };
  }
  let count = 1;
  const r = await restoreTiled(model, image, tiles, (done, total) => {
    count = total;
    onTile?.(done, total);
  });
  return { ...r, tiles: count };
}
