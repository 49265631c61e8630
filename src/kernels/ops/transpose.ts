import { util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import type { KernelModule } from '../kernel-module';
import type { NativeAddon } from '../native/addon';
import { elementStrides, type WasmHeapBackend } from '../support/heap';
import { replacing } from '../support/replacing';
import { copyViewOnHeap, NATIVE_VIEW_FROM, viewCopyDtype } from '../support/view-copy';

/** A transpose with the fewest axes that moves the same bytes. */
export interface TransposeLayout {
  shape: number[];
  perm: number[];
}

/**
 * `perm` over `shape` with size-1 axes dropped and axes that stay neighbours, in order, merged
 * (MAXIM's [1, 4, 64, 4, 64, C] → [1, 4, 4, 64, 64, C] block partition is [4, 64, 4, 64·C] by
 * [0, 2, 1, 3]). An identity (nothing moves) comes back with one axis.
 */
export function transposeLayout(shape: readonly number[], perm: readonly number[]): TransposeLayout {
  const kept = shape.map((_, i) => i).filter((i) => shape[i]! > 1);
  // The output's axes, as input axes, without the size-1 ones.
  const order = perm.filter((a) => shape[a]! > 1);
  // Runs of the output's axes that are consecutive input axes (size-1 ones aside) become one axis.
  const runs: number[][] = [];
  for (const a of order) {
    const last = runs.at(-1);
    if (last && kept.indexOf(a) === kept.indexOf(last.at(-1)!) + 1) last.push(a);
    else runs.push([a]);
  }
  if (runs.length <= 1) return { shape: [util.sizeFromShape(shape as number[])], perm: [0] };
  // Each run is one axis; the input's order of runs gives the reduced input shape.
  const byInput = [...runs].sort((p, q) => p[0]! - q[0]!);
  return {
    shape: byInput.map((r) => r.reduce((s, a) => s * shape[a]!, 1)),
    perm: runs.map((r) => byInput.indexOf(r)),
  };
}

/**
 * Transpose as one oneDNN reorder on all cores (wasm's walks indices per element on one thread;
 * MAXIM's block and grid partitions call it 756 times per image). float32 and int32 go native;
 * small tensors, identities and other dtypes go to the wasm kernel.
 */
function nativeTranspose(addon: NativeAddon): KernelConfig {
  return replacing(Transpose.name, 'wasm', (own) => (args) => {
    const x = args.inputs['x'] as TensorInfo;
    const { perm } = args.attrs as unknown as { perm: number[] };
    if (!viewCopyDtype(x) || util.sizeFromShape(x.shape) < NATIVE_VIEW_FROM) return own(args);
    const layout = transposeLayout(x.shape, perm);
    if (layout.perm.length === 1) return own(args);
    const strides = elementStrides(layout.shape);
    const dims = layout.perm.map((a) => layout.shape[a]!);
    const viewStrides = layout.perm.map((a) => strides[a]!);
    return copyViewOnHeap(addon, args.backend as unknown as WasmHeapBackend, x, 0, dims, viewStrides, perm.map((a) => x.shape[a]!));
  });
}

// An addon built before copyView existed has none (setup rebuilds it when native/ is newer).
export const Transpose: KernelModule = { name: 'Transpose', native: (addon) => (typeof addon.copyView === 'function' ? nativeTranspose(addon) : undefined) };
