import { backend_util, util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import { heapFloats, onHeap, type NativeAddon, type WasmHeapBackend } from '../native/addon';
import { replacing } from './replacing';

/**
 * Reductions (Sum and Mean: ops/) for tfjs-backend-wasm on the native addon. wasm's own first transposes the reduced
 * axes to the end (a copy of the whole tensor) and sums on one thread. Training reduces large
 * tensors all the time: every bias gradient (over batch, rows and columns), the channel
 * attention's pooling and its gradient. Reduced axes that sit together in memory (any axes
 * between them of size 1) make the input an [A, R, B] array summed over R, in one pass on all
 * cores; other reductions, and dtypes other than float32, go to the wasm kernel.
 */

/** The input as [A, R, B] with R the reduced part, or undefined when the reduced axes are not together. */
export function reductionLayout(shape: readonly number[], axes: readonly number[]): { A: number; R: number; B: number } | undefined {
  const reduced = axes.filter((a) => shape[a]! > 1);
  if (reduced.length === 0) return { A: util.sizeFromShape(shape as number[]), R: 1, B: 1 };
  const first = Math.min(...reduced);
  const last = Math.max(...reduced);
  for (let k = first; k <= last; k++) if (shape[k]! > 1 && !axes.includes(k)) return undefined;
  return {
    A: util.sizeFromShape(shape.slice(0, first) as number[]),
    R: util.sizeFromShape(shape.slice(first, last + 1) as number[]),
    B: util.sizeFromShape(shape.slice(last + 1) as number[]),
  };
}

/** A reduction over axes that sit together on the addon, scaled by 1/R when `mean`, falling back to wasm's own `name`. */
export function reduceKernel(addon: NativeAddon, name: string, mean: boolean): KernelConfig {
  return replacing(name, 'wasm', (own) => (args) => {
    const x = args.inputs['x'] as TensorInfo;
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const axes = util.parseAxisParam(axis, x.shape);
    const layout = reductionLayout(x.shape, axes);
    if (x.dtype !== 'float32' || layout === undefined || util.sizeFromShape(x.shape) === 0 || axes.length === 0) return own(args);
    const [outShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
    const shape = keepDims ? backend_util.expandShapeToKeepDim(outShape, axes) : outShape;
    const backend = args.backend as unknown as WasmHeapBackend;
    const { A, R, B } = layout;
    return onHeap(backend, [x], [{ shape, dtype: 'float32' }], heapFloats(backend), ([xv], [out]) => {
      addon.sumAxes(xv!, A, R, B, out!, mean ? 1 / R : 1);
    })[0]!;
  });
}
