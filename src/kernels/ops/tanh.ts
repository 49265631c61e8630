import { util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import type { KernelModule } from '../kernel-module';
import { heapFloats, onHeap, type NativeAddon, type WasmHeapBackend } from '../native/addon';
import { replacing } from '../support/replacing';

/**
 * Tanh on all cores, vectorised by oneDNN (wasm's runs libm's tanh per element on one thread: MAXIM's
 * GELUs call it 240 times per image, and at 256² that was a third of its time).
 */
function nativeTanh(addon: NativeAddon): KernelConfig {
  return replacing(Tanh.name, 'wasm', (own) => (args) => {
    const x = args.inputs['x'] as TensorInfo;
    if (x.dtype !== 'float32' || util.sizeFromShape(x.shape) === 0) return own(args);
    const backend = args.backend as unknown as WasmHeapBackend;
    return onHeap(backend, [x], [{ shape: x.shape, dtype: 'float32' }], heapFloats(backend), ([xv], [out]) => addon.tanh(xv!, out!))[0]!;
  });
}

export const Tanh: KernelModule = { name: 'Tanh', native: (addon) => nativeTanh(addon) };
