import { slice_util, util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import type { KernelModule } from '../kernel-module';
import { copyStridedWindow, type WasmHeapBackend } from '../support/heap';
import { over, replacing } from '../support/replacing';
import type { NativeAddon } from '../native/addon';
import { copyWindowOnHeap, NATIVE_VIEW_FROM, viewCopyDtype } from '../support/view-copy';

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

/**
 * Strided slices that are neither an identity nor one contiguous block (those wasm answers with a
 * reshape or a copy), with positive steps, as one oneDNN reorder on all cores: wasm walks indices
 * per element, or copies a unit-step slice with its own slice, on one thread (MAXIM's channel
 * splits, [1, 256, 256, 64] → [..., 32], took 4.6 ms each, 375 calls per image). Masks, ellipses
 * and new or shrunk axes are resolved by tfjs's own sliceInfo.
 */
function nativeStridedSlice(addon: NativeAddon, labWasm: KernelConfig | undefined): KernelConfig {
  const base = labWasm ?? heapStridedSlice();
  return over(base, (fallback) => (args) => {
    const x = args.inputs['x'] as TensorInfo;
    if (!viewCopyDtype(x) || x.shape.length === 0) return fallback(args);
    const a = args.attrs as unknown as { begin: number[]; end: number[]; strides: number[]; beginMask: number; endMask: number; ellipsisMask: number; newAxisMask: number; shrinkAxisMask: number };
    const info = slice_util.sliceInfo(x.shape, a.begin, a.end, a.strides, a.beginMask, a.endMask, a.ellipsisMask, a.newAxisMask, a.shrinkAxisMask);
    if (info.isIdentity || info.sliceDim0) return fallback(args);
    const dims = slice_util.computeOutShape(info.begin, info.end, info.strides);
    const ok = dims.length === x.shape.length && info.strides.every((s) => s >= 1) && util.sizeFromShape(info.finalShape) === util.sizeFromShape(dims);
    if (!ok || util.sizeFromShape(dims) < NATIVE_VIEW_FROM) return fallback(args);
    return copyWindowOnHeap(addon, args.backend as unknown as WasmHeapBackend, x, info.begin, dims, info.strides, info.finalShape);
  });
}

// An addon built before copyView existed has none (setup rebuilds it when native/ is newer).
export const StridedSlice: KernelModule = {
  name: 'StridedSlice',
  wasm: heapStridedSlice,
  native: (addon, labWasm) => (typeof addon.copyView === 'function' ? nativeStridedSlice(addon, labWasm) : undefined),
};
