import { util, type TensorInfo } from '@tensorflow/tfjs';
import { onHeap, type NativeAddon } from '../native/addon';
import { elementStrides, type WasmHeapBackend } from './heap';

/** The dtypes a native view copy moves (4-byte elements: oneDNN's reorder copies their bits as float32). */
export const viewCopyDtype = (t: TensorInfo): boolean => t.dtype === 'float32' || t.dtype === 'int32';

/** Below this many output elements the wasm kernels' single pass costs less than a call into oneDNN. */
export const NATIVE_VIEW_FROM = 1 << 14;

/**
 * A new tensor of `shape` (x's dtype, float32 or int32) holding the view of x that starts at element
 * `offset` and steps `strides` elements along the axes of `dims` (as many elements as `shape`):
 * one oneDNN reorder on all cores.
 */
export function copyViewOnHeap(addon: NativeAddon, backend: WasmHeapBackend, x: TensorInfo, offset: number, dims: number[], strides: number[], shape: number[]): TensorInfo {
  if (util.sizeFromShape(dims) !== util.sizeFromShape(shape)) throw new Error(`copyViewOnHeap: a view of ${dims} into ${shape}`);
  const view = (t: TensorInfo): Float32Array => {
    const v = backend.typedArrayFromHeap(t);
    return v instanceof Float32Array ? v : new Float32Array(v.buffer, v.byteOffset, v.length);
  };
  return onHeap(backend, [x], [{ shape, dtype: x.dtype }], view, ([xv], [out]) => addon.copyView(xv!, offset, dims, strides, out!))[0]!;
}

/**
 * A new tensor of `shape` holding the window of x from `begin`, `size` elements along each of x's
 * axes taken every `steps` (≥ 1): a slice or a strided slice, as one copyViewOnHeap.
 */
export function copyWindowOnHeap(addon: NativeAddon, backend: WasmHeapBackend, x: TensorInfo, begin: readonly number[], size: number[], steps: readonly number[], shape: number[]): TensorInfo {
  const strides = elementStrides(x.shape);
  const offset = begin.reduce((o, b, k) => o + b * strides[k]!, 0);
  return copyViewOnHeap(addon, backend, x, offset, size, strides.map((s, k) => s * steps[k]!), shape);
}
