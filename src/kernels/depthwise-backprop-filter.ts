import { type KernelBackend, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { withChain } from './chain';
import { forwardConvInfo, padForTaps, tapSlice, type ConvAttrs } from './geometry';

/**
 * dW of a depthwise conv: for each tap (i, j), dW[i, j, c, q] = Σ_{n,y,x} X_ij[n,y,x,c] · dY[n,y,x,c·m+q],
 * an elementwise product and a reduction over batch and space.
 */
export function makeDepthwiseBackpropFilter(backendName: string): KernelConfig {
  const kernelFunc = ({ inputs, backend, attrs }: Parameters<KernelFunc>[0]): TensorInfo => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = attrs as unknown as ConvAttrs & { filterShape: number[] };
    const info = forwardConvInfo(x.shape, a.filterShape, a, true);
    const [kh, kw, inC, mult] = a.filterShape as [number, number, number, number];
    return withChain(backend as KernelBackend, backendName, (c) => {
      const xp = padForTaps(c, x, info);
      const n = info.batchSize;
      const dy5 = mult === 1 ? dy : c.reshape(dy, [n, info.outHeight, info.outWidth, inC, mult]);
      const taps: TensorInfo[] = [];
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          const s = tapSlice(xp.shape, info, i, j, 1);
          let tap = c.run('StridedSlice', { x: xp }, { ...s, beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0 });
          if (mult > 1) tap = c.reshape(tap, [n, info.outHeight, info.outWidth, inC, 1]);
          const prod = c.run('Multiply', { a: tap, b: dy5 });
          taps.push(c.run('Sum', { x: prod }, { axis: [0, 1, 2], keepDims: false }));
        }
      }
      const all = taps.length === 1 ? taps[0]! : c.run('Concat', taps as unknown as Record<string, TensorInfo>, { axis: 0 });
      return c.reshape(all, [kh, kw, inC, mult]);
    });
  };
  return { kernelName: 'DepthwiseConv2dNativeBackpropFilter', backendName, kernelFunc: kernelFunc as KernelFunc };
}
