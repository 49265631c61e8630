import { backend_util, util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import type { KernelModule } from '../kernel-module';
import { heapBytes, onHeap, type NativeAddon } from '../native/addon';
import { rowCount, sliceInfo, type WasmHeapBackend } from '../support/heap';
import { over, replacing } from '../support/replacing';

/**
 * SplitV: on wasm, each part copied as a window of the heap (support/heap.ts; wasm's own slices
 * each part after reading the whole input out); on the native addon, the rows of every part cut
 * apart with memcpy on all cores, falling back to the wasm one.
 */
function heapSplitV(): KernelConfig {
  return replacing(SplitV.name, 'wasm', (fallback) => (args) => {
    const x = args.inputs['x']!;
    if (x.dtype === 'string') return fallback(args);
    const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    const a = util.parseAxisParam(axis, x.shape)[0]!;
    const sizes = backend_util.prepareSplitSize(x as unknown as Parameters<typeof backend_util.prepareSplitSize>[0], numOrSizeSplits, a);
    const begin = x.shape.map(() => 0);
    return sizes.map((s) => {
      const size = [...x.shape];
      size[a] = s;
      const part = sliceInfo(x, [...begin], size, args.backend as unknown as WasmHeapBackend);
      begin[a]! += s;
      return part;
    });
  });
}

function nativeSplitV(addon: NativeAddon, wasmKernel: KernelConfig): KernelConfig {
  return over(wasmKernel, (fallback) => (args) => {
    const x = args.inputs['x'] as TensorInfo;
    if (x.dtype === 'string' || x.dtype === 'complex64') return fallback(args);
    const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    const a = util.parseAxisParam(axis, x.shape)[0]!;
    const sizes = backend_util.prepareSplitSize(x as unknown as Parameters<typeof backend_util.prepareSplitSize>[0], numOrSizeSplits, a);
    const outputs = sizes.map((s) => ({ shape: x.shape.map((d, k) => (k === a ? s : d)), dtype: x.dtype }));
    const backend = args.backend as unknown as WasmHeapBackend;
    const perElement = util.bytesPerElement(x.dtype);
    return onHeap(backend, [x], outputs, heapBytes(backend), ([xv], outs) => {
      if (util.sizeFromShape(x.shape) === 0) return;
      const widths = outputs.map((o) => util.sizeFromShape(o.shape.slice(a)) * perElement);
      addon.splitRows(xv!, rowCount(x.shape, a), widths, outs);
    });
  });
}

export const SplitV: KernelModule = { name: 'SplitV', wasm: heapSplitV, native: (addon, labWasm) => nativeSplitV(addon, labWasm!) };
