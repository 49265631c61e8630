import type { KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';

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

export const resizeNearestGradCpu: KernelConfig = {
  kernelName: 'ResizeNearestNeighborGrad',
  backendName: 'cpu',
  kernelFunc: kernelFunc as KernelFunc,
};
