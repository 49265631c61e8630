import { slice_util, util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import type { KernelModule } from '../kernel-module';
import { sliceInfo, type WasmHeapBackend } from '../support/heap';
import { over, replacing } from '../support/replacing';
import type { NativeAddon } from '../native/addon';
import { copyWindowOnHeap, NATIVE_VIEW_FROM, viewCopyDtype } from '../support/view-copy';

/**
 * Slice copying only the window, as runs (support/heap.ts): wasm's own starts by reading the whole
 * input out of the heap, for every slice (the MSRM split, every concat's gradient, the tap windows
 * of the convolution gradients).
 */
function heapSlice(): KernelConfig {
  return replacing(Slice.name, 'wasm', (fallback) => (args) => {
    const x = args.inputs['x']!;
    if (x.dtype === 'string') return fallback(args);
    const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
    const [b, s] = slice_util.parseSliceParams(x as unknown as Parameters<typeof slice_util.parseSliceParams>[0], begin, size);
    slice_util.assertParamsValid(x as unknown as Parameters<typeof slice_util.assertParamsValid>[0], b, s);
    return sliceInfo(x, b, s, args.backend as unknown as WasmHeapBackend);
  });
}

/**
 * Large slices that are not one contiguous block (a channel split: runs of a few floats) as one
 * oneDNN reorder on all cores; the rest as heapSlice copies them.
 */
function nativeSlice(addon: NativeAddon, labWasm: KernelConfig | undefined): KernelConfig {
  return over(labWasm ?? heapSlice(), (fallback) => (args) => {
    const x = args.inputs['x'] as TensorInfo;
    if (!viewCopyDtype(x) || x.shape.length === 0) return fallback(args);
    const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
    const [b, s] = slice_util.parseSliceParams(x as unknown as Parameters<typeof slice_util.parseSliceParams>[0], begin, size);
    slice_util.assertParamsValid(x as unknown as Parameters<typeof slice_util.assertParamsValid>[0], b, s);
    if (util.sizeFromShape(s) < NATIVE_VIEW_FROM || slice_util.isSliceContinous(x.shape, b, s)) return fallback(args);
    return copyWindowOnHeap(addon, args.backend as unknown as WasmHeapBackend, x, b, s, s.map(() => 1), s);
  });
}

// An addon built before copyView existed has none (setup rebuilds it when native/ is newer).
export const Slice: KernelModule = {
  name: 'Slice',
  wasm: heapSlice,
  native: (addon, labWasm) => (typeof addon.copyView === 'function' ? nativeSlice(addon, labWasm) : undefined),
};
