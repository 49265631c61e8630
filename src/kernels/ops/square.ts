import { util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import type { KernelModule } from '../kernel-module';
import { heapFloats, onHeap, type NativeAddon } from '../native/addon';
import type { WasmHeapBackend } from '../support/heap';
import { replacing } from '../support/replacing';

/**
 * Square as the addon's flat x · x on all cores (wasm's runs on one thread: MAXIM's layer norms
 * call it 984 times per image).
 */
function nativeSquare(addon: NativeAddon): KernelConfig {
  return replacing(Square.name, 'wasm', (own) => (args) => {
    const x = args.inputs['x'] as TensorInfo;
    const n = util.sizeFromShape(x.shape);
    if (x.dtype !== 'float32' || n === 0) return own(args);
    const backend = args.backend as unknown as WasmHeapBackend;
    return onHeap(backend, [x], [{ shape: x.shape, dtype: 'float32' }], heapFloats(backend), ([xv], [out]) => addon.binary(2, xv!, true, xv!, true, 1, 1, n, out!))[0]!;
  });
}

export const Square: KernelModule = { name: 'Square', native: (addon) => nativeSquare(addon) };
