import { slice_util, type KernelConfig } from '@tensorflow/tfjs';
import type { KernelModule } from '../kernel-module';
import { sliceInfo, type WasmHeapBackend } from '../support/heap';
import { replacing } from '../support/replacing';

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

export const Slice: KernelModule = { name: 'Slice', wasm: heapSlice };
