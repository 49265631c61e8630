import { backend_util, slice_util, util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import { tileAsBroadcast } from './native-binary';
import { replacing } from './replacing';

/**
 * Slice, SplitV and Concat for tfjs-backend-wasm, copying straight between views of the wasm heap.
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

/**
 * Copies the strided window begin + i·strides (i < size, per axis; strides ≥ 1) into `dst`.
 * The innermost axis, when its stride is 1, is copied as runs.
 */
export function copyStridedWindow(src: Heap, shape: readonly number[], begin: readonly number[], size: readonly number[], strides: readonly number[], dst: Heap): void {
  const rank = shape.length;
  const srcStrides = [...util.computeStrides(shape as number[]), 1];
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

function sliceInfo(x: TensorInfo, begin: number[], size: number[], backend: WasmHeapBackend): TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  if (util.sizeFromShape(size) > 0) copyWindow(backend.typedArrayFromHeap(x), x.shape, begin, size, backend.typedArrayFromHeap(out));
  return out;
}

export function makeHeapSlice(backendName: string): KernelConfig {
  return replacing('Slice', backendName, (fallback) => (args) => {
    const x = args.inputs['x']!;
    if (x.dtype === 'string') return fallback(args);
    const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
    const [b, s] = slice_util.parseSliceParams(x as unknown as Parameters<typeof slice_util.parseSliceParams>[0], begin, size);
    slice_util.assertParamsValid(x as unknown as Parameters<typeof slice_util.assertParamsValid>[0], b, s);
    return sliceInfo(x, b, s, args.backend as unknown as WasmHeapBackend);
  });
}

export function makeHeapSplitV(backendName: string): KernelConfig {
  return replacing('SplitV', backendName, (fallback) => (args) => {
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

/**
 * StridedSlice with positive strides and no masks (what the convolution gradients use); anything
 * else goes to the backend's own kernel.
 */
export function makeHeapStridedSlice(backendName: string): KernelConfig {
  return replacing('StridedSlice', backendName, (fallback) => (args) => {
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

export function makeHeapConcat(backendName: string): KernelConfig {
  return replacing('Concat', backendName, (fallback) => (args) => {
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

/**
 * Tile of size-1 axes that sit together (tf.broadcastTo: the gradient of a mean) as [P, 1, S] →
 * [P, Q, S] by doubling copies within the heap; wasm's own computes indices per element (190 ms
 * for a [4, 1, 1, 32] → [4, 128, 128, 32] broadcast). Other tiles go to the wasm kernel.
 */
export function makeHeapTile(backendName: 'wasm'): KernelConfig {
  return replacing('Tile', backendName, (own) => (args) => {
    const x = args.inputs['x'] as TensorInfo;
    const { shape, layout } = tileAsBroadcast(x.shape, (args.attrs as unknown as { reps: number[] }).reps);
    if (layout === undefined || x.dtype === 'string' || util.sizeFromShape(shape) === 0) return own(args);
    const backend = args.backend as unknown as WasmHeapBackend;
    const out = backend.makeOutput(shape, x.dtype);
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    const { P, Q, S } = layout;
    for (let p = 0; p < P; p++) {
      const base = p * Q * S;
      dst.set(src.subarray(p * S, (p + 1) * S), base);
      for (let filled = S; filled < Q * S; filled *= 2) dst.copyWithin(base + filled, base, base + Math.min(filled, Q * S - filled));
    }
    return out;
  });
}
