import { backend_util } from '@tensorflow/tfjs';
import type { NativeAddon } from '../native/addon';

/**
 * Block geometry for the network's resampling on the native addon (native/blocks.cc; the kernels
 * are AvgPool, AvgPoolGrad, ResizeNearestNeighbor and ResizeNearestNeighborGrad in ops/): the box
 * downscaling (`downscale`, an AvgPool whose window equals its stride), the nearest-neighbour
 * upscaling by a whole factor (`upscale`), and their gradients, which are the same two block
 * operations the other way round. wasm's AvgPool, AvgPoolGrad and ResizeNearestNeighbor run on one
 * thread and compute indices per value: AvgPoolGrad alone was 5% of a `lite` 4 × 128² training
 * step. Any other pool or resize (overlapping windows, padding, aligned corners, half-pixel
 * centres, a fractional factor, another dtype) goes to the kernel these replace.
 */

/** A block geometry: the small side [n, h, w, c] (one value per kh × kw block) inside the large side H × W. */
export interface BlockLayout {
  n: number;
  h: number;
  w: number;
  c: number;
  kh: number;
  kw: number;
  H: number;
  W: number;
}

export interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: Parameters<typeof backend_util.computePool2DInfo>[4];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** A pool over input `shape` (NHWC) as blocks, when its windows tile the input without overlap or padding; else undefined. */
export function poolBlocks(shape: readonly number[], a: PoolAttrs): BlockLayout | undefined {
  if (shape.length !== 4) return undefined;
  const info = backend_util.computePool2DInfo(shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  const p = info.padInfo;
  const tiles = info.filterHeight === info.strideHeight && info.filterWidth === info.strideWidth && p.top === 0 && p.left === 0 && p.bottom === 0 && p.right === 0;
  if (!tiles || info.outHeight * info.filterHeight > info.inHeight || info.outWidth * info.filterWidth > info.inWidth) return undefined;
  return { n: info.batchSize, h: info.outHeight, w: info.outWidth, c: info.inChannels, kh: info.filterHeight, kw: info.filterWidth, H: info.inHeight, W: info.inWidth };
}

/** A nearest-neighbour resize of `inShape` (NHWC) to `size` as blocks, when it scales up by whole factors with tfjs's plain sampling (floor(y · in / out)); else undefined. */
export function upscaleBlocks(inShape: readonly number[], size: readonly [number, number], alignCorners: boolean, halfPixelCenters: boolean): BlockLayout | undefined {
  if (inShape.length !== 4 || alignCorners || halfPixelCenters) return undefined;
  const [n, h, w, c] = inShape as [number, number, number, number];
  const [H, W] = size;
  if (h === 0 || w === 0 || H % h !== 0 || W % w !== 0) return undefined;
  return { n, h, w, c, kh: H / h, kw: W / w, H, W };
}

/** A block layout as the addon's blockSum / blockSpread arguments. */
export const blockArgs = (b: BlockLayout): [number, number, number, number, number, number, number, number] => [b.n, b.h, b.w, b.c, b.kh, b.kw, b.H, b.W];

export interface ResizeAttrs {
  alignCorners: boolean;
  halfPixelCenters?: boolean;
  size: [number, number];
}


/** Whether the addon has the block kernels (one built before native/blocks.cc existed has not; setup rebuilds it when native/ is newer). */
export const hasBlocks = (addon: NativeAddon): boolean => typeof addon.blockSum === 'function' && typeof addon.blockSpread === 'function';
