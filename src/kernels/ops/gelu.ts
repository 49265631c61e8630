import { util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import type { KernelModule } from '../kernel-module';
import { onHeapFloat, type NativeAddon } from '../native/addon';

/**
 * GELU in its tanh form, 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))), as one kernel: MAXIM's graph
 * spells it as nine elementwise kernels (src/peers/graph-fusion.ts finds them and calls this one).
 * This lab's own kernel name; native only (without the addon the graph's own ops run).
 */
export const GELU = 'DeblurGelu';

function nativeGelu(addon: NativeAddon): KernelConfig {
  return {
    kernelName: GELU,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const x = inputs['x'] as TensorInfo;
      if (x.dtype !== 'float32') throw new Error(`${GELU}: float32 only (got ${x.dtype})`);
      if (util.sizeFromShape(x.shape) === 0) return onHeapFloat(backend, [], x.shape, () => undefined);
      return onHeapFloat(backend, [x], x.shape, ([xv], out) => addon.gelu(xv!, out));
    },
  };
}

// An addon built before gelu existed has none (setup rebuilds it when native/ is newer).
export const Gelu: KernelModule = { name: GELU, native: (addon) => (typeof addon.gelu === 'function' ? nativeGelu(addon) : undefined) };
