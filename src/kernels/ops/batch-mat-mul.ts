import { util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import type { KernelModule } from '../kernel-module';
import { heapFloats, onHeap, type NativeAddon, type WasmHeapBackend } from '../native/addon';
import { replacing } from '../support/replacing';

/**
 * BatchMatMul for tfjs-backend-wasm on oneDNN's matmul (native/batch_mat_mul.cc), on all cores. wasm's
 * own runs on one thread; the FFT loss's DFT is a few large products per step (a 1560 × 128 by
 * 128 × 128 product took 10 ms there). Handles float32 operands whose batch parts (all axes but the
 * last two) are equal, or one of them a single matrix used for every batch; anything else goes
 * to the wasm kernel.
 */
function nativeBatchMatMul(addon: NativeAddon): KernelConfig {
  return replacing(BatchMatMul.name, 'wasm', (own) => (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const layout = productLayout(a.shape, b.shape, transposeA, transposeB);
    if (layout === undefined || a.dtype !== 'float32' || b.dtype !== 'float32' || util.sizeFromShape(layout.shape) === 0) return own(args);
    const { batchA, batchB, m, k, n, shape } = layout;
    const backend = args.backend as unknown as WasmHeapBackend;
    return onHeap(backend, [a, b], [{ shape, dtype: 'float32' }], heapFloats(backend), ([av, bv], [out]) => {
      addon.batchMatMul(av!, bv!, out!, batchA, batchB, m, k, n, transposeA, transposeB);
    })[0]!;
  });
}

export interface ProductLayout {
  batchA: number;
  batchB: number;
  m: number;
  k: number;
  n: number;
  /** The output's shape: the batch part of the operand with more matrices, then [m, n]. */
  shape: number[];
}

/** op(a) · op(b) as oneDNN's [batch, m, k] · [batch, k, n], or undefined where it is not that simple. */
export function productLayout(aShape: readonly number[], bShape: readonly number[], transposeA: boolean, transposeB: boolean): ProductLayout | undefined {
  if (aShape.length < 2 || bShape.length < 2) return undefined;
  const [ar, ac] = aShape.slice(-2) as [number, number];
  const [br, bc] = bShape.slice(-2) as [number, number];
  const [m, k] = transposeA ? [ac, ar] : [ar, ac];
  const [kb, n] = transposeB ? [bc, br] : [br, bc];
  if (k !== kb) return undefined;
  const outerA = aShape.slice(0, -2);
  const outerB = bShape.slice(0, -2);
  const batchA = util.sizeFromShape(outerA as number[]);
  const batchB = util.sizeFromShape(outerB as number[]);
  const same = outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i]);
  if (!same && batchA !== 1 && batchB !== 1) return undefined;
  const outer = batchA >= batchB ? outerA : outerB;
  // A single matrix on one side broadcasts; the output keeps the longer batch shape (tfjs's broadcast).
  const rank = Math.max(outerA.length, outerB.length);
  const padded = [...new Array<number>(rank - outer.length).fill(1), ...outer];
  return { batchA, batchB, m, k, n, shape: [...padded, m, n] };
}

export const BatchMatMul: KernelModule = { name: 'BatchMatMul', native: (addon) => nativeBatchMatMul(addon) };
