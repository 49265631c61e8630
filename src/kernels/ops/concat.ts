import { backend_util, util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import type { KernelModule } from '../kernel-module';
import { heapBytes, onHeap, type NativeAddon } from '../native/addon';
import { rowBytes, rowCount, type WasmHeapBackend } from '../support/heap';
import { over, replacing } from '../support/replacing';

/**
 * Concat: on wasm, the parts' rows copied straight into the output's heap (short runs with a plain
 * loop); on the native addon, interleaved with memcpy on all cores, falling back to the wasm one.
 * The MSRM split and concat cut every pixel's channels into runs of a few floats.
 */
function heapConcat(): KernelConfig {
  return replacing(Concat.name, 'wasm', (fallback) => (args) => {
    const inputs = Object.values(args.inputs) as TensorInfo[];
    if (inputs.some((t) => t.dtype === 'string')) return fallback(args);
    const backend = args.backend as unknown as WasmHeapBackend;
    const axis = util.parseAxisParam((args.attrs as unknown as { axis: number }).axis, inputs[0]!.shape)[0]!;
    const outShape = backend_util.computeOutShape(inputs.map((t) => t.shape), axis);
    const nonEmpty = inputs.filter((t) => util.sizeFromShape(t.shape) > 0);
    const out = backend.makeOutput(outShape, inputs[0]!.dtype);
    if (nonEmpty.length === 0) return out;
    const outer = util.sizeFromShape(outShape.slice(0, axis));
    const inners = nonEmpty.map((t) => util.sizeFromShape(t.shape.slice(axis)));
    const total = inners.reduce((a, b) => a + b, 0);
    const dst = backend.typedArrayFromHeap(out);
    nonEmpty.forEach((t, i) => {
      const src = backend.typedArrayFromHeap(t);
      const inner = inners[i]!;
      let column = 0;
      for (let k = 0; k < i; k++) column += inners[k]!;
      if (outer === 1) {
        dst.set(src, column);
      } else if (inner < 16) {
        for (let b = 0; b < outer; b++) {
          const from = b * inner;
          const to = b * total + column;
          for (let e = 0; e < inner; e++) dst[to + e] = src[from + e]!;
        }
      } else {
        for (let b = 0; b < outer; b++) dst.set(src.subarray(b * inner, (b + 1) * inner), b * total + column);
      }
    });
    return out;
  });
}

function nativeConcat(addon: NativeAddon, wasmKernel: KernelConfig): KernelConfig {
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

export const Concat: KernelModule = { name: 'Concat', wasm: heapConcat, native: (addon, labWasm) => nativeConcat(addon, labWasm!) };
