import { backend_util, util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import { heapBytes, onHeap, type NativeAddon, type WasmHeapBackend } from './native-addon';
import { over } from './replacing';

/**
 * Concat and SplitV for tfjs-backend-wasm on the native addon. Along axis k, a tensor is rows of
 * (the sizes from k on) elements, one row per index before k; concat interleaves the parts' rows
 * and split cuts them apart. The MSRM split and concat (and, in training, each one's gradient,
 * the other) cut every pixel's channels into runs of a few floats; the addon copies them with
 * memcpy on all cores, where the JavaScript kernels (heap-copies.ts, the fallback) loop per value.
 */

const rowCount = (shape: readonly number[], axis: number): number => util.sizeFromShape(shape.slice(0, axis) as number[]);
const rowBytes = (t: TensorInfo, axis: number): number => util.sizeFromShape(t.shape.slice(axis)) * util.bytesPerElement(t.dtype);

function concatKernel(addon: NativeAddon, wasmKernel: KernelConfig): KernelConfig {
  return over(wasmKernel, (fallback) => (args) => {
    const inputs = Object.values(args.inputs) as TensorInfo[];
    const dtype = inputs[0]!.dtype;
    if (dtype === 'string' || dtype === 'complex64' || inputs.some((t) => t.dtype !== dtype)) return fallback(args);
    const axis = util.parseAxisParam((args.attrs as unknown as { axis: number }).axis, inputs[0]!.shape)[0]!;
    const shape = backend_util.computeOutShape(inputs.map((t) => t.shape), axis);
    const parts = inputs.filter((t) => util.sizeFromShape(t.shape) > 0);
    const backend = args.backend as unknown as WasmHeapBackend;
    return onHeap(backend, parts, [{ shape, dtype }], heapBytes(backend), (views, [out]) => {
      if (parts.length > 0) addon.concatRows(views, parts.map((t) => rowBytes(t, axis)), rowCount(shape, axis), out!);
    })[0]!;
  });
}

function splitKernel(addon: NativeAddon, wasmKernel: KernelConfig): KernelConfig {
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

/** Concat and SplitV on the addon, each falling back to `wasmKernel(name)` (heap-copies.ts). */
export const nativeCopies = (addon: NativeAddon, wasmKernel: (name: string) => KernelConfig): KernelConfig[] => [
  concatKernel(addon, wasmKernel('Concat')),
  splitKernel(addon, wasmKernel('SplitV')),
];
