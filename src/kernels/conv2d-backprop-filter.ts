import { type KernelBackend, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { withChain } from './chain';
import { forwardConvInfo, padForTaps, tapSlice, type ConvAttrs } from './geometry';

/**
 * dW of a conv2d, which wasm lacks: for each filter tap (i, j),
 *   dW[i, j] = X_ij^T · dY,  X_ij = the input rows/cols that tap saw, flattened to [inC, N·oh·ow].
 * The input is transposed once to channels-first so that every tap is a plain [inC, M]×[M, outC]
 * matmul (the wasm BatchMatMul is fast only without transposeA).
 */
export function makeConv2DBackpropFilter(backendName: string): KernelConfig {
  const kernelFunc = ({ inputs, backend, attrs }: Parameters<KernelFunc>[0]): TensorInfo => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = attrs as unknown as ConvAttrs & { filterShape: number[]; dataFormat?: string };
    if (a.dataFormat !== undefined && a.dataFormat !== 'NHWC') throw new Error('Conv2DBackpropFilter: only NHWC');
    const info = forwardConvInfo(x.shape, a.filterShape, { ...a, dilations: 1 }, false);
    return withChain(backend as KernelBackend, backendName, (c) => {
      const m = info.batchSize * info.outHeight * info.outWidth;
      const xp = padForTaps(c, x, info);
      const xt = c.run('Transpose', { x: xp }, { perm: [3, 0, 1, 2] }); // [inC, N, Hp, Wp]
      const dy2 = c.reshape(dy, [1, m, info.outChannels]);
      const taps: TensorInfo[] = [];
      for (let i = 0; i < info.filterHeight; i++) {
        for (let j = 0; j < info.filterWidth; j++) {
          const s = tapSlice(xt.shape, info, i, j, 2);
          const tap = c.run('StridedSlice', { x: xt }, { ...s, beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0 });
          const a2 = c.reshape(tap, [1, info.inChannels, m]);
          taps.push(c.run('BatchMatMul', { a: a2, b: dy2 }, { transposeA: false, transposeB: false }));
        }
      }
      const all = taps.length === 1 ? taps[0]! : c.run('Concat', taps as unknown as Record<string, TensorInfo>, { axis: 0 });
      return c.reshape(all, [info.filterHeight, info.filterWidth, info.inChannels, info.outChannels]);
    });
  };
  return { kernelName: 'Conv2DBackpropFilter', backendName, kernelFunc: kernelFunc as KernelFunc };
}
