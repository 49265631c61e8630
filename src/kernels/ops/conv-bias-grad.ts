import { getKernel, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import type { KernelModule } from '../kernel-module';
import { forwardConvInfo } from '../support/geometry';
import { heapFloats, onHeap, type NativeAddon, type WasmHeapBackend } from '../native/addon';
import { toGeometry } from '../support/onednn-conv';

/**
 * Every gradient of one `[relu](conv2d(x, filter) + bias)` (the op in gradients/conv-bias-act.ts) in one
 * kernel: inputs x, filter, dy and, for a ReLU, the forward's output y; outputs [dx, dFilter,
 * dBias]. On the native addon that is a single call: the ReLU's mask, oneDNN's backward-data and
 * one backward-weights primitive that sums the bias gradient while it reads dy for the filter's.
 * tfjs instead runs Step, Cast, Multiply, both convolution gradients and a Sum, each a pass over
 * the output, and (since it unfuses a ReLU convolution whenever gradients are recorded) a
 * separate bias Add and Relu forward, each with a saved tensor.
 */
export const CONV_BIAS_GRAD = 'DeblurConvBiasGrad';

export interface ConvBiasGradAttrs {
  strides: [number, number];
  pad: 'same' | 'valid';
}

/** The attributes tfjs's convolution gradient kernels take for this convolution (NHWC). */
export const convAttrs = (a: ConvBiasGradAttrs) => ({ strides: a.strides, pad: a.pad, dataFormat: 'NHWC' as const, dimRoundingMode: undefined });

/** The kernel for 'wasm': the addon's single call where oneDNN can express the convolution, else wasm's kernels in turn. */
function convBiasGradKernel(addon: NativeAddon | undefined): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { x, filter, dy, y } = args.inputs as { x: TensorInfo; filter: TensorInfo; dy: TensorInfo; y?: TensorInfo };
    const a = args.attrs as unknown as ConvBiasGradAttrs;
    const backend = args.backend as unknown as WasmHeapBackend;
    const g = addon && toGeometry(forwardConvInfo(x.shape, filter.shape, { ...convAttrs(a), dilations: 1 }, false), false);
    const floats = [x, filter, dy, y].every((t) => t === undefined || t.dtype === 'float32');
    if (addon && g && floats) {
      const outs = [{ shape: x.shape, dtype: 'float32' as const }, { shape: filter.shape, dtype: 'float32' as const }, { shape: [g.oc], dtype: 'float32' as const }];
      const ins = y === undefined ? [x, filter, dy] : [x, filter, dy, y];
      return onHeap(backend, ins, outs, heapFloats(backend), ([xv, fv, dyv, yv], [dx, dw, db]) => {
        addon.convBackward(xv!, fv!, yv ?? null, dyv!, dx!, dw!, db!, g);
      });
    }
    // wasm's own kernels (this lab's gradient kernels), one after another.
    const run = (name: string, inputs: Record<string, TensorInfo>, attrs: object): TensorInfo =>
      getKernel(name, 'wasm')!.kernelFunc({ inputs, attrs: attrs as never, backend: args.backend }) as TensorInfo;
    const grad = y === undefined ? dy : reluMaskOnHeap(backend, dy, y, run);
    try {
      return [
        run('Conv2DBackpropInput', { dy: grad, filter }, { ...convAttrs(a), inputShape: x.shape }),
        run('Conv2DBackpropFilter', { x, dy: grad }, { ...convAttrs(a), filterShape: filter.shape }),
        run('Sum', { x: grad }, { axis: [0, 1, 2], keepDims: false }),
      ];
    } finally {
      if (grad !== dy) backend.disposeData(grad.dataId);
    }
  };
  return { kernelName: CONV_BIAS_GRAD, backendName: 'wasm', kernelFunc };
}

/** dy · step(y) with wasm's own Step and Multiply (tfjs's ReLU gradient, NaN where y is NaN). */
function reluMaskOnHeap(backend: WasmHeapBackend, dy: TensorInfo, y: TensorInfo, run: (name: string, inputs: Record<string, TensorInfo>, attrs: object) => TensorInfo): TensorInfo {
  const step = run('Step', { x: y }, { alpha: 0 });
  try {
    return run('Multiply', { a: dy, b: step }, {});
  } finally {
    backend.disposeData(step.dataId);
  }
}

export const ConvBiasGrad: KernelModule = { name: CONV_BIAS_GRAD, wasm: () => convBiasGradKernel(undefined), native: (addon) => convBiasGradKernel(addon) };
