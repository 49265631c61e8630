import { backend_util, util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import type { KernelModule } from '../kernel-module';
import { heapFloats, onHeap, type NativeAddon, type WasmHeapBackend } from '../native/addon';
import { reductionLayout } from '../support/reduction';

/** The kernel of a multiply-and-sum: the gradient of a broadcast factor (gradients/lean-gradients.ts). */
export const MUL_SUM = 'DeblurMulSum';

/**
 * DeblurMulSum (gradients/lean-gradients.ts): Σ over `axis` of a · b without writing the product, the
 * gradient of a broadcast factor. Registered only here; where the reduced axes are not together
 * the gradient does not call it.
 */
function nativeMulSum(addon: NativeAddon): KernelConfig {
  return {
    kernelName: MUL_SUM,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
      const axes = util.parseAxisParam((args.attrs as unknown as { axis: number[] }).axis, a.shape);
      const layout = reductionLayout(a.shape, axes);
      if (layout === undefined || a.dtype !== 'float32' || b.dtype !== 'float32' || !util.arraysEqual(a.shape, b.shape)) {
        throw new Error(`${MUL_SUM}: float32 operands of one shape reduced over adjacent axes, got ${a.shape} · ${b.shape} over ${axes}`);
      }
      const [shape] = backend_util.computeOutAndReduceShapes(a.shape, axes);
      const backend = args.backend as unknown as WasmHeapBackend;
      return onHeap(backend, [a, b], [{ shape, dtype: 'float32' }], heapFloats(backend), ([av, bv], [out]) => {
        addon.mulSum(av!, bv!, layout.A, layout.R, layout.B, out!);
      })[0]!;
    },
  };
}

export const MulSum: KernelModule = { name: MUL_SUM, native: (addon) => nativeMulSum(addon) };
