import { util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import type { KernelModule } from '../kernel-module';
import { heapFloats, onHeap, type NativeAddon } from '../native/addon';
import { tileAsBroadcast } from '../support/broadcast';
import type { WasmHeapBackend } from '../support/heap';
import { replacing } from '../support/replacing';

/**
 * Tile of size-1 axes that sit together (tf.broadcastTo: the gradient of a mean) as [P, 1, S] →
 * [P, Q, S] by doubling copies within the heap; wasm's own computes indices per element (190 ms
 * for a [4, 1, 1, 32] → [4, 128, 128, 32] broadcast). Other tiles go to the wasm kernel.
 */
function heapTile(): KernelConfig {
  return replacing(Tile.name, 'wasm', (own) => (args) => {
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

/** Tile of size-1 axes that sit together (tf.broadcastTo, as the gradient of a mean), on all cores; wasm's computes indices per element. */
function nativeTile(addon: NativeAddon): KernelConfig {
  return replacing(Tile.name, 'wasm', (own) => (args) => {
    const x = args.inputs['x'] as TensorInfo;
    const { shape, layout } = tileAsBroadcast(x.shape, (args.attrs as unknown as { reps: number[] }).reps);
    if (x.dtype !== 'float32' || layout === undefined || util.sizeFromShape(shape) === 0) return own(args);
    const backend = args.backend as unknown as WasmHeapBackend;
    return onHeap(backend, [x], [{ shape, dtype: 'float32' }], heapFloats(backend), ([xv], [out]) => addon.broadcast(xv!, layout.P, layout.Q, layout.S, out!))[0]!;
  });
}

export const Tile: KernelModule = { name: 'Tile', wasm: heapTile, native: (addon) => nativeTile(addon) };
