import { backend_util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { onHeapFloat, type NativeAddon } from './native-addon';
import { over, replacing } from './replacing';

/**
 * The network's resampling for tfjs-backend-wasm on the native addon (native/blocks.cc): the box
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

interface PoolAttrs {
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

const args = (b: BlockLayout): [number, number, number, number, number, number, number, number] => [b.n, b.h, b.w, b.c, b.kh, b.kw, b.H, b.W];

function avgPool(addon: NativeAddon): KernelConfig {
  return replacing('AvgPool', 'wasm', (own): KernelFunc => (a) => {
    const x = a.inputs['x'] as TensorInfo;
    const b = x.dtype === 'float32' ? poolBlocks(x.shape, a.attrs as unknown as PoolAttrs) : undefined;
    if (b === undefined) return own(a);
    return onHeapFloat(a.backend, [x], [b.n, b.h, b.w, b.c], ([xv], out) => addon.blockSum(xv!, ...args(b), 1 / (b.kh * b.kw), out));
  });
}

function avgPoolGrad(addon: NativeAddon): KernelConfig {
  return replacing('AvgPoolGrad', 'wasm', (own): KernelFunc => (a) => {
    const { dy, input } = a.inputs as { dy: TensorInfo; input: TensorInfo };
    const b = dy.dtype === 'float32' ? poolBlocks(input.shape, a.attrs as unknown as PoolAttrs) : undefined;
    if (b === undefined) return own(a);
    return onHeapFloat(a.backend, [dy], [...input.shape], ([dyv], out) => addon.blockSpread(dyv!, ...args(b), 1 / (b.kh * b.kw), out));
  });
}

interface ResizeAttrs {
  alignCorners: boolean;
  halfPixelCenters?: boolean;
  size: [number, number];
}

function resizeNearest(addon: NativeAddon): KernelConfig {
  return replacing('ResizeNearestNeighbor', 'wasm', (own): KernelFunc => (a) => {
    const images = a.inputs['images'] as TensorInfo;
    const r = a.attrs as unknown as ResizeAttrs;
    const b = images.dtype === 'float32' ? upscaleBlocks(images.shape, r.size, r.alignCorners, r.halfPixelCenters ?? false) : undefined;
    if (b === undefined) return own(a);
    return onHeapFloat(a.backend, [images], [b.n, b.H, b.W, b.c], ([xv], out) => addon.blockSpread(xv!, ...args(b), 1, out));
  });
}

/** Over this lab's wasm ResizeNearestNeighborGrad (an AvgPool then a Multiply): one pass, each block's sum. */
function resizeNearestGrad(addon: NativeAddon, wasmKernel: KernelConfig): KernelConfig {
  return over(wasmKernel, (fallback): KernelFunc => (a) => {
    const { images, dy } = a.inputs as { images: TensorInfo; dy: TensorInfo };
    const r = a.attrs as unknown as Omit<ResizeAttrs, 'size'>;
    const b = dy.dtype === 'float32' ? upscaleBlocks(images.shape, [dy.shape[1]!, dy.shape[2]!], r.alignCorners, r.halfPixelCenters ?? false) : undefined;
    if (b === undefined || b.n !== dy.shape[0] || b.c !== dy.shape[3]) return fallback(a);
    return onHeapFloat(a.backend, [dy], [...images.shape], ([dyv], out) => addon.blockSum(dyv!, ...args(b), 1, out));
  });
}

/** The four kernels, or none with an addon built before native/blocks.cc existed (setup rebuilds it when native/ is newer). */
export function nativeBlocks(addon: NativeAddon, wasmKernel: (name: string) => KernelConfig): KernelConfig[] {
  if (typeof addon.blockSum !== 'function' || typeof addon.blockSpread !== 'function') return [];
  return [avgPool(addon), avgPoolGrad(addon), resizeNearest(addon), resizeNearestGrad(addon, wasmKernel('ResizeNearestNeighborGrad'))];
}
