import type { KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import type { KernelModule } from '../kernel-module';
import { heapFloats, type NativeAddon, type WasmHeapBackend } from '../native/addon';

/**
 * One Adam step over every trainable weight, with the weight average's update, as one kernel on
 * the native addon (native/adam_step.cc). tfjs's Adam runs about ten small kernels per weight.
 * The kernel makes new tensors (tensors stay immutable): the weights, the moments, the averages,
 * and last a scalar that is 1 when every gradient value is finite.
 */
export const ADAM_STEP = 'DeblurAdamStep';

export interface AdamStepAttrs {
  /** Trainable weights in the step. */
  count: number;
  average: boolean;
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Bias corrections 1 − β1^t and 1 − β2^t for this step t (1-based). */
  correction1: number;
  correction2: number;
  /** The average's 1 − decay for this update. */
  rate: number;
}

/** Input names: p0…, g0…, m0…, v0… and, with an average, e0…. */
export function adamStepInputName(kind: 'p' | 'g' | 'm' | 'v' | 'e', i: number): string {
  return `${kind}${i}`;
}

function nativeAdamStep(addon: NativeAddon): KernelConfig {
  return {
    kernelName: ADAM_STEP,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const a = attrs as unknown as AdamStepAttrs & NamedAttrMap;
      const b = backend as unknown as WasmHeapBackend;
      const list = (kind: 'p' | 'g' | 'm' | 'v' | 'e'): TensorInfo[] => Array.from({ length: a.count }, (_, i) => inputs[adamStepInputName(kind, i)] as TensorInfo);
      const [p, g, m, v] = [list('p'), list('g'), list('m'), list('v')];
      const e = a.average ? list('e') : [];
      for (const t of [...p, ...g, ...m, ...v, ...e]) if (t.dtype !== 'float32') throw new Error(`${ADAM_STEP}: float32 tensors only (got ${t.dtype})`);
      const outs = [...p, ...p, ...p, ...e].map((t) => b.makeOutput(t.shape, 'float32'));
      const flag = b.makeOutput([], 'float32');
      const view = heapFloats(b); // views made after every allocation: growing the heap detaches older ones
      const n = a.count;
      const finite = addon.adamStep(
        p.map(view), g.map(view), m.map(view), v.map(view), e.map(view),
        outs.slice(0, n).map(view), outs.slice(n, 2 * n).map(view), outs.slice(2 * n, 3 * n).map(view), outs.slice(3 * n).map(view),
        a.lr, a.beta1, a.beta2, a.epsilon, a.correction1, a.correction2, a.rate,
      );
      view(flag)[0] = finite ? 1 : 0;
      return [...outs, flag];
    },
  };
}

/** Native only: without the addon, Adam runs as tfjs ops (train/adam.ts). */
export const AdamStep: KernelModule = { name: ADAM_STEP, native: (addon) => nativeAdamStep(addon) };
