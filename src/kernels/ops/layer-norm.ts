import { util, type KernelConfig, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs';
import type { KernelModule } from '../kernel-module';
import { onHeapFloat, type NativeAddon } from '../native/addon';

/**
 * Layer normalisation over the last axis as flax computes it, (x − mean) · rsqrt(max(0, E[x²] −
 * mean²) + ε) · γ + β, in one pass: MAXIM's graph spells each of its 372 layer norms as about ten
 * kernels (src/peers/graph-fusion.ts finds them and calls this one). Inputs x, gamma and beta (each
 * with the last axis's size), attribute epsilon. This lab's own kernel name; native only.
 */
export const LAYER_NORM = 'DeblurLayerNorm';

export interface LayerNormAttrs {
  epsilon: number;
}

function nativeLayerNorm(addon: NativeAddon): KernelConfig {
  return {
    kernelName: LAYER_NORM,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, gamma, beta } = inputs as Record<'x' | 'gamma' | 'beta', TensorInfo>;
      const { epsilon } = attrs as unknown as LayerNormAttrs & NamedAttrMap;
      const channels = x.shape.at(-1) ?? 0;
      for (const t of [x, gamma, beta]) if (t.dtype !== 'float32') throw new Error(`${LAYER_NORM}: float32 only (got ${t.dtype})`);
      if (util.sizeFromShape(gamma.shape) !== channels || util.sizeFromShape(beta.shape) !== channels) {
        throw new Error(`${LAYER_NORM}: gamma and beta must have the last axis's ${channels} values (got [${gamma.shape}] and [${beta.shape}])`);
      }
      if (util.sizeFromShape(x.shape) === 0) return onHeapFloat(backend, [], x.shape, () => undefined);
      return onHeapFloat(backend, [x, gamma, beta], x.shape, ([xv, g, b], out) => addon.layerNorm(xv!, channels, g!, b!, epsilon, out));
    },
  };
}

// An addon built before layerNorm existed has none (setup rebuilds it when native/ is newer).
export const LayerNorm: KernelModule = { name: LAYER_NORM, native: (addon) => (typeof addon.layerNorm === 'function' ? nativeLayerNorm(addon) : undefined) };
