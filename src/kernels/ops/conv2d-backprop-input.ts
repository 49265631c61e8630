import { type KernelBackend, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import type { KernelModule } from '../kernel-module';
import { withChain } from '../support/chain';
import { forwardConvInfo, fullCorrelationInput, type ConvAttrs } from '../support/geometry';
import { backwardDataKernel } from '../support/onednn-conv';

/**
 * dX of a conv2d (also the forward pass of conv2dTranspose). wasm has one, but as a plain loop
 * (~2 GFLOP/s). This one is the textbook identity: a stride-1 "full" correlation of the
 * zero-inserted dy with the spatially flipped, in/out-swapped filter, run on XNNPACK's Conv2D.
 */
function wasmConv2DBackpropInput(): KernelConfig {
  const backendName = 'wasm';
  const kernelFunc = ({ inputs, backend, attrs }: Parameters<KernelFunc>[0]): TensorInfo => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = attrs as unknown as ConvAttrs & { inputShape: number[]; dataFormat?: string };
    if (a.dataFormat !== undefined && a.dataFormat !== 'NHWC') throw new Error('Conv2DBackpropInput: only NHWC');
    const info = forwardConvInfo(a.inputShape, filter.shape, { ...a, dilations: 1 }, false);
    return withChain(backend as KernelBackend, backendName, (c) => {
      const { dy: dyFull, pads } = fullCorrelationInput(c, dy, info);
      const flipped = c.run('Reverse', { x: filter }, { dims: [0, 1] });
      const swapped = c.run('Transpose', { x: flipped }, { perm: [0, 1, 3, 2] }); // [kh, kw, outC, inC]
      return c.run('Conv2D', { x: dyFull, filter: swapped }, { strides: 1, pad: pads, dilations: 1, dataFormat: 'NHWC' });
    });
  };
  return { kernelName: Conv2DBackpropInput.name, backendName, kernelFunc: kernelFunc as KernelFunc };
}

export const Conv2DBackpropInput: KernelModule = {
  name: 'Conv2DBackpropInput',
  wasm: wasmConv2DBackpropInput,
  native: (addon, labWasm) => backwardDataKernel(addon, labWasm!, false),
};
