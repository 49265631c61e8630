import type { KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { KernelModule } from '../kernel-module';
import { onHeapFloat, type NativeAddon } from '../native/addon';
import { blockArgs, hasBlocks, upscaleBlocks, type ResizeAttrs } from '../support/blocks';
import { withChain } from '../support/chain';
import type { WasmHeapBackend } from '../support/heap';
import { over, replacing } from '../support/replacing';

/**
 * ResizeNearestNeighborGrad for an exact integer upscaling (the network's nearest-neighbour ×2 and
 * ×4 upsampling, without aligned corners or half-pixel centres): every input pixel was copied to a
 * k × k block, so its gradient is the block's sum, k² · AvgPool(dy, k × k, stride k). wasm's own
 * kernel loops per output value and took ~3% of a `lite` step; other cases go to it.
 */
function wasmResizeNearestGrad(): KernelConfig {
  const backendName = 'wasm';
  return replacing(ResizeNearestNeighborGrad.name, backendName, (own) => (args) => {
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

/** Over this lab's wasm ResizeNearestNeighborGrad (an AvgPool then a Multiply): one pass, each block's sum. */
function nativeResizeNearestGrad(addon: NativeAddon, wasmKernel: KernelConfig): KernelConfig {
  return over(wasmKernel, (fallback): KernelFunc => (a) => {
    const { images, dy } = a.inputs as { images: TensorInfo; dy: TensorInfo };
    const r = a.attrs as unknown as Omit<ResizeAttrs, 'size'>;
    const b = dy.dtype === 'float32' ? upscaleBlocks(images.shape, [dy.shape[1]!, dy.shape[2]!], r.alignCorners, r.halfPixelCenters ?? false) : undefined;
    if (b === undefined || b.n !== dy.shape[0] || b.c !== dy.shape[3]) return fallback(a);
    return onHeapFloat(a.backend, [dy], [...images.shape], ([dyv], out) => addon.blockSum(dyv!, ...blockArgs(b), 1, out));
  });
}

/**
 * ResizeNearestNeighborGrad for the cpu backend. tfjs-backend-cpu 4.22's own kernel offsets dy by
 * the *input's* batch stride (so every batch item after the first reads the wrong gradient) and
 * ignores halfPixelCenters. This one scatters each dy pixel back to the source pixel the forward
 * kernel read, with the forward kernel's exact index rules.
 */
function sourceIndex(i: number, inSize: number, outSize: number, alignCorners: boolean, halfPixel: boolean): number {
  const ratio = alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
  const frac = halfPixel ? ratio * (i + 0.5) : ratio * i;
  const nearest = Math.min(inSize - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
  return halfPixel ? Math.max(0, nearest) : nearest;
}

const kernelFunc = ({ inputs, backend, attrs }: Parameters<KernelFunc>[0]): TensorInfo => {
  const { images, dy } = inputs as { images: TensorInfo; dy: TensorInfo };
  const { alignCorners, halfPixelCenters } = attrs as { alignCorners: boolean; halfPixelCenters?: boolean };
  const cpu = backend as KernelBackend & {
    data: { get(id: object): { values: Float32Array } };
    makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
  };
  const [batch, inH, inW, depth] = images.shape as [number, number, number, number];
  const [, outH, outW] = dy.shape as [number, number, number, number];
  const dyValues = cpu.data.get(dy.dataId).values;
  const dx = new Float32Array(batch * inH * inW * depth);
  const rows = Array.from({ length: outH }, (_, r) => sourceIndex(r, inH, outH, alignCorners, halfPixelCenters ?? false));
  const cols = Array.from({ length: outW }, (_, c) => sourceIndex(c, inW, outW, alignCorners, halfPixelCenters ?? false));
  let k = 0;
  for (let b = 0; b < batch; b++)
    for (let r = 0; r < outH; r++)
      for (let c = 0; c < outW; c++) {
        const base = ((b * inH + rows[r]!) * inW + cols[c]!) * depth;
        for (let d = 0; d < depth; d++) dx[base + d]! += dyValues[k++]!;
      }
  return cpu.makeTensorInfo([batch, inH, inW, depth], 'float32', dx);
};

const cpuResizeNearestGrad = (): KernelConfig => ({
  kernelName: ResizeNearestNeighborGrad.name,
  backendName: 'cpu',
  kernelFunc: kernelFunc as KernelFunc,
});

export const ResizeNearestNeighborGrad: KernelModule = {
  name: 'ResizeNearestNeighborGrad',
  wasm: wasmResizeNearestGrad,
  native: (addon, labWasm) => (hasBlocks(addon) ? nativeResizeNearestGrad(addon, labWasm!) : undefined),
  cpu: cpuResizeNearestGrad,
};
