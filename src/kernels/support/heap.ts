import { util, type TensorInfo } from '@tensorflow/tfjs';

/**
 * Copies between views of the wasm heap, for Slice, SplitV, StridedSlice, Concat and Tile (ops/).
 *
 * The backend's own Slice (which SplitV calls once per part) starts with `readSync(x)`: a copy of
 * the *whole* input out of the heap, for every slice. The MSRM split, the gradient of every
 * concat, and the tap windows of the convolution gradients all slice large tensors, so that
 * copy dominated them. Here a window is copied as runs of contiguous elements, one `set()` per
 * run; Concat copies short runs (a few channels per pixel) with a plain loop instead of a
 * subarray per run.
 */

/** What the heap kernels (these and the native ones) need from the wasm backend (its public-in-practice surface). */
export interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: TensorInfo['dtype']): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object): void;
}

type Heap = Float32Array | Int32Array | Uint8Array;

/**
 * Copies the window [begin, begin + size) of `src` (shape `shape`) into `dst`, densely. Trailing
 * axes taken whole are merged into the last partial one, so each contiguous run is one copy.
 */
export function copyWindow(src: Heap, shape: readonly number[], begin: readonly number[], size: readonly number[], dst: Heap): void {
  if (shape.length === 0) {
    dst[0] = src[0]!;
    return;
  }
  let inner = shape.length - 1;
  while (inner > 0 && size[inner] === shape[inner] && begin[inner] === 0) inner--;
  const tail = shape.slice(inner + 1).reduce((a, b) => a * b, 1);
  const merged = (v: readonly number[]) => [...v.slice(0, inner), v[inner]! * tail];
  copyStridedWindow(src, merged(shape), merged(begin), merged(size), shape.map(() => 1).slice(0, inner + 1), dst);
}

/** How many elements apart neighbours along each axis of a dense tensor of `shape` are. */
export const elementStrides = (shape: readonly number[]): number[] => [...util.computeStrides(shape as number[]), 1];

/**
 * Copies the strided window begin + i·strides (i < size, per axis; strides ≥ 1) into `dst`.
 * The innermost axis, when its stride is 1, is copied as runs.
 */
export function copyStridedWindow(src: Heap, shape: readonly number[], begin: readonly number[], size: readonly number[], strides: readonly number[], dst: Heap): void {
  const rank = shape.length;
  const srcStrides = elementStrides(shape);
  const last = rank - 1;
  const runStride = strides[last]! * srcStrides[last]!;
  const run = size[last]!;
  const count = size.slice(0, last).reduce((a, b) => a * b, 1);
  const index = new Array<number>(last).fill(0);
  let at = 0;
  for (let r = 0; r < count; r++) {
    let offset = begin[last]! * srcStrides[last]!;
    for (let k = 0; k < last; k++) offset += (begin[k]! + index[k]! * strides[k]!) * srcStrides[k]!;
    if (runStride === 1 && run >= 16) dst.set(src.subarray(offset, offset + run), at);
    else for (let e = 0; e < run; e++) dst[at + e] = src[offset + e * runStride]!;
    at += run;
    for (let k = last - 1; k >= 0; k--) {
      if (++index[k]! < size[k]!) break;
      index[k] = 0;
    }
  }
}

/** A dense copy of the window [begin, begin + size) of x, as a new output of the backend. */
export function sliceInfo(x: TensorInfo, begin: number[], size: number[], backend: WasmHeapBackend): TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  if (util.sizeFromShape(size) > 0) copyWindow(backend.typedArrayFromHeap(x), x.shape, begin, size, backend.typedArrayFromHeap(out));
  return out;
}


/** Along `axis`, a tensor is rows of (the sizes from `axis` on) elements: how many rows, and each row's bytes. */
export const rowCount = (shape: readonly number[], axis: number): number => util.sizeFromShape(shape.slice(0, axis) as number[]);
export const rowBytes = (t: TensorInfo, axis: number): number => util.sizeFromShape(t.shape.slice(axis)) * util.bytesPerElement(t.dtype);
