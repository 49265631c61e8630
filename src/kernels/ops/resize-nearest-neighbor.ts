import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { KernelModule } from '../kernel-module';
import { onHeapFloat, type NativeAddon } from '../native/addon';
import { blockArgs, hasBlocks, upscaleBlocks, type ResizeAttrs } from '../support/blocks';
import { replacing } from '../support/replacing';

/** Nearest-neighbour upscaling by a whole factor on the native addon; other resizes go to wasm's own. */
function nativeResizeNearest(addon: NativeAddon): KernelConfig {
  return replacing(ResizeNearestNeighbor.name, 'wasm', (own): KernelFunc => (a) => {
    const images = a.inputs['images'] as TensorInfo;
    const r = a.attrs as unknown as ResizeAttrs;
    const b = images.dtype === 'float32' ? upscaleBlocks(images.shape, r.size, r.alignCorners, r.halfPixelCenters ?? false) : undefined;
    if (b === undefined) return own(a);
    return onHeapFloat(a.backend, [images], [b.n, b.H, b.W, b.c], ([xv], out) => addon.blockSpread(xv!, ...blockArgs(b), 1, out));
  });
}

export const ResizeNearestNeighbor: KernelModule = { name: 'ResizeNearestNeighbor', native: (addon) => (hasBlocks(addon) ? nativeResizeNearest(addon) : undefined) };
