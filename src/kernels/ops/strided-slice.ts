import type { KernelConfig } from '@tensorflow/tfjs';
import type { KernelModule } from '../kernel-module';
import { copyStridedWindow, type WasmHeapBackend } from '../support/heap';
import { replacing } from '../support/replacing';

/**
 * StridedSlice with positive strides and no masks (what the convolution gradients use); anything
 * else goes to the backend's own kernel.
 */
function heapStridedSlice(): KernelConfig {
  return replacing(StridedSlice.name, 'wasm', (fallback) => (args) => {
    const x = args.inputs['x']!;
    const a = args.attrs as unknown as { begin: number[]; end: number[]; strides: number[]; beginMask: number; endMask: number; ellipsisMask: number; newAxisMask: number; shrinkAxisMask: number };
    const plain =
      x.dtype !== 'string' &&
      x.shape.length > 0 &&
      a.beginMask === 0 && a.endMask === 0 && a.ellipsisMask === 0 && a.newAxisMask === 0 && a.shrinkAxisMask === 0 &&
      [a.begin, a.end, a.strides].every((v) => Array.isArray(v) && v.length === x.shape.length) &&
      x.shape.every((d, k) => a.strides[k]! >= 1 && a.begin[k]! >= 0 && a.end[k]! <= d && a.end[k]! > a.begin[k]!);
    if (!plain) return fallback(args);
    const size = x.shape.map((_, k) => Math.ceil((a.end[k]! - a.begin[k]!) / a.strides[k]!));
    const backend = args.backend as unknown as WasmHeapBackend;
    const out = backend.makeOutput(size, x.dtype);
    copyStridedWindow(backend.typedArrayFromHeap(x), x.shape, a.begin, size, a.strides, backend.typedArrayFromHeap(out));
    return out;
  });
}

export const StridedSlice: KernelModule = { name: 'StridedSlice', wasm: heapStridedSlice };
