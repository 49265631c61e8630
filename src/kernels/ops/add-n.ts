import { util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import type { KernelModule } from '../kernel-module';
import { heapFloats, onHeap, type NativeAddon, type WasmHeapBackend } from '../native/addon';
import { replacing } from '../support/replacing';

/** AddN in one pass on all cores (wasm's adds on one thread): the sum of a tensor's gradients in the backward pass. */
function nativeAddN(addon: NativeAddon): KernelConfig {
  return replacing(AddN.name, 'wasm', (own) => (args) => {
    const inputs = Object.values(args.inputs) as TensorInfo[];
    const first = inputs[0];
    if (first === undefined || inputs.some((t) => t.dtype !== 'float32' || !util.arraysEqual(t.shape, first.shape)) || util.sizeFromShape(first.shape) === 0) return own(args);
    const backend = args.backend as unknown as WasmHeapBackend;
    return onHeap(backend, inputs, [{ shape: first.shape, dtype: 'float32' }], heapFloats(backend), (ins, [out]) => addon.addN(ins, out!))[0]!;
  });
}

export const AddN: KernelModule = { name: 'AddN', native: (addon) => nativeAddN(addon) };
