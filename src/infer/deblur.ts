import * as tf from '@tensorflow/tfjs';
import { loadNative } from '../kernels/native/addon';
import { isPeer, restore, type Network, type Restored } from './restore';
import { DEFAULT_TILING, restoreTiled, type TileOptions, type TileProgress } from './tile';

/** 'auto': the network's own choice (AutoTiling); 'none': always whole; or explicit tiles. */
export type Tiling = 'auto' | 'none' | TileOptions;

/** What 'auto' means for a network: whole images up to `wholeUpTo` pixels, these tiles above. */
export interface AutoTiling {
  wholeUpTo: number;
  tiles: TileOptions;
}

/** Above this many pixels (one and a half default tiles) 'auto' tiles the lab's networks; smaller images run whole. */
export const AUTO_TILE_PIXELS = 512 * 768;

/**
 * Above this many pixels (a 1280×720 frame) 'auto' tiles the lab's networks on wasm with the native
 * kernels. Whole, a frame took `full` half the time six 512² tiles did (their overlaps cover 70%
 * more pixels) and 1.5 GiB of wasm heap; wasm's own kernels fill its 4 GiB with one (USAGE.md,
 * "Large images"), and other backends keep the smaller bound.
 */
export const NATIVE_AUTO_TILE_PIXELS = 1280 * 720;

/** 'auto' for the lab's networks on the current backend (a peer may choose its own: PeerNetwork.autoTiling). */
export function labAutoTiling(): AutoTiling {
  const native = tf.getBackend() === 'wasm' && typeof loadNative() !== 'string';
  return { wholeUpTo: native ? NATIVE_AUTO_TILE_PIXELS : AUTO_TILE_PIXELS, tiles: DEFAULT_TILING };
}

/** The tiles an h × w image is run in under `tiling` (undefined: whole). */
export function tilesFor(tiling: Tiling, h: number, w: number, auto: AutoTiling = labAutoTiling()): TileOptions | undefined {
  if (tiling === 'none') return undefined;
  if (tiling === 'auto') return h * w > auto.wholeUpTo ? auto.tiles : undefined;
  return tiling;
}

/** What 'auto' means for this network. */
export function autoTilingOf(model: Network): AutoTiling {
  return (isPeer(model) && model.autoTiling) || labAutoTiling();
}

export interface Deblurred extends Restored {
  /** Tiles the image was run in (1: whole). */
  tiles: number;
}

/** Restores one image [1, H, W, 3] of any size, whole or in tiles as `tiling` says. The caller disposes the outputs. */
export async function deblurImage(model: Network, image: tf.Tensor4D, tiling: Tiling = 'auto', onTile?: TileProgress): Promise<Deblurred> {
  const [, h, w] = image.shape;
  const tiles = tilesFor(tiling, h, w, autoTilingOf(model));
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
