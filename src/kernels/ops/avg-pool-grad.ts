import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { KernelModule } from '../kernel-module';
import { onHeapFloat, type NativeAddon } from '../native/addon';
import { blockArgs, hasBlocks, poolBlocks, type PoolAttrs } from '../support/blocks';
import { replacing } from '../support/replacing';

/** The gradient of a box downscaling, each value spread over its block, on the native addon (wasm's own was 5% of a `lite` step). */
function nativeAvgPoolGrad(addon: NativeAddon): KernelConfig {
  return replacing(AvgPoolGrad.name, 'wasm', (own): KernelFunc => (a) => {
    const { dy, input } = a.inputs as { dy: TensorInfo; input: TensorInfo };
    const b = dy.dtype === 'float32' ? poolBlocks(input.shape, a.attrs as unknown as PoolAttrs) : undefined;
    if (b === undefined) return own(a);
    return onHeapFloat(a.backend, [dy], [...input.shape], ([dyv], out) => addon.blockSpread(dyv!, ...blockArgs(b), 1 / (b.kh * b.kw), out));
  });
}

export const AvgPoolGrad: KernelModule = { name: 'AvgPoolGrad', native: (addon) => (hasBlocks(addon) ? nativeAvgPoolGrad(addon) : undefined) };
