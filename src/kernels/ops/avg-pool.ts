import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { KernelModule } from '../kernel-module';
import { onHeapFloat, type NativeAddon } from '../native/addon';
import { blockArgs, hasBlocks, poolBlocks, type PoolAttrs } from '../support/blocks';
import { replacing } from '../support/replacing';

/** A box downscaling (an AvgPool whose window is its stride) on the native addon; other pools go to wasm's own. */
function nativeAvgPool(addon: NativeAddon): KernelConfig {
  return replacing(AvgPool.name, 'wasm', (own): KernelFunc => (a) => {
    const x = a.inputs['x'] as TensorInfo;
    const b = x.dtype === 'float32' ? poolBlocks(x.shape, a.attrs as unknown as PoolAttrs) : undefined;
    if (b === undefined) return own(a);
    return onHeapFloat(a.backend, [x], [b.n, b.h, b.w, b.c], ([xv], out) => addon.blockSum(xv!, ...blockArgs(b), 1 / (b.kh * b.kw), out));
  });
}

export const AvgPool: KernelModule = { name: 'AvgPool', native: (addon) => (hasBlocks(addon) ? nativeAvgPool(addon) : undefined) };
