import { type KernelBackend, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import type { KernelModule } from '../kernel-module';
import { withChain } from '../support/chain';
import { forwardConvInfo, fullCorrelationInput, type ConvAttrs } from '../support/geometry';
import { backwardDataKernel } from '../support/onednn-conv';

/**
 * dX of a depthwise conv: each of the inC·m output channels correlates (full, stride 1) its
 * zero-inserted dy with its own flipped filter; the m channel-multiplier copies of an input
 * channel are then summed.
 */
function wasmDepthwiseBackpropInput(): KernelConfig {
  const backendName = 'wasm';
  const kernelFunc = ({ inputs, backend, attrs }: Parameters<KernelFunc>[0]): TensorInfo => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = attrs as unknown as ConvAttrs & { inputShape: number[] };
    const info = forwardConvInfo(a.inputShape, filter.shape, a, true);
    const [kh, kw, inC, mult] = filter.shape as [number, number, number, number];
    return withChain(backend as KernelBackend, backendName, (c) => {
      const { dy: dyFull, pads } = fullCorrelationInput(c, dy, info);
      const flipped = c.run('Reverse', { x: filter }, { dims: [0, 1] });
      const perChannel = c.reshape(flipped, [kh, kw, inC * mult, 1]);
      const dx = c.run(
        'DepthwiseConv2dNative',
        { x: dyFull, filter: perChannel },
        { strides: 1, pad: pads, dilations: [info.dilationHeight, info.dilationWidth], dataFormat: 'NHWC' },
      );
      if (mult === 1) return dx;
      const [n, h, w] = dx.shape as [number, number, number, number];
      const split = c.reshape(dx, [n, h, w, inC, mult]);
      return c.run('Sum', { x: split }, { axis: [4], keepDims: false });
    });
  };
  return { kernelName: DepthwiseConv2dNativeBackpropInput.name, backendName, kernelFunc: kernelFunc as KernelFunc };
}

export const DepthwiseConv2dNativeBackpropInput: KernelModule = {
  name: 'DepthwiseConv2dNativeBackpropInput',
  wasm: wasmDepthwiseBackpropInput,
  native: (addon, labWasm) => backwardDataKernel(addon, labWasm!, true),
};
