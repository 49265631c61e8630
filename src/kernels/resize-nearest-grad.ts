import type { KernelBackend, KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { withChain } from './chain';
import type { WasmHeapBackend } from './heap-copies';
import { replacing } from './replacing';

/**
 * ResizeNearestNeighborGrad for an exact integer upscaling (the network's nearest-neighbour ×2 and
 * ×4 upsampling, without aligned corners or half-pixel centres): every input pixel was copied to a
 * k × k block, so its gradient is the block's sum, k² · AvgPool(dy, k × k, stride k). wasm's own
 * kernel loops per output value and took ~3% of a `lite` step; other cases go to it.
 */
export function makeResizeNearestGrad(backendName: string): KernelConfig {
  return replacing('ResizeNearestNeighborGrad', backendName, (own) => (args) => {
    const { images, dy } = args.inputs as { images: TensorInfo; dy: TensorInfo };
    const { alignCorners, halfPixelCenters } = args.attrs as { alignCorners: boolean; halfPixelCenters?: boolean };
    const [, inH, inW] = images.shape as number[];
    const [, outH, outW] = dy.shape as number[];
    const k = outH! / inH!;
    if (alignCorners || halfPixelCenters || dy.dtype !== 'float32' || !Number.isInteger(k) || k < 1 || outW! !== k * inW!) return own(args);
    const backend = args.backend as KernelBackend & WasmHeapBackend;
    return withChain(backend, backendName, (c) => {
      const pooled = c.run('AvgPool', { x: dy }, { filterSize: [k, k], strides: [k, k], pad: 'valid' });
      if (k === 1) return pooled;
      const scale = backend.makeOutput([], 'float32');
      (backend.typedArrayFromHeap(scale) as Float32Array)[0] = k * k;
      try {
        return c.run('Multiply', { a: pooled, b: scale });
      } finally {
        backend.disposeData(scale.dataId);
      }
    });
  });
}
