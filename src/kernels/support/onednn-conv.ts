import { backend_util, util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { forwardConvInfo, type ConvAttrs } from './geometry';
import { onHeapFloat, type ConvActivation, type ConvGeometry, type NativeAddon } from '../native/addon';
import { over, replacing } from './replacing';

type KernelArgs = Parameters<KernelFunc>[0];

/**
 * The convolutions of tfjs-backend-wasm (Conv2D, DepthwiseConv2dNative, their fused forms and both
 * gradients of each: ops/), forward and both gradients, computed by oneDNN in the
 * native addon (native/onednn_conv.cc) on all cores, reading and writing the wasm heap in place.
 * XNNPACK in wasm runs on one thread and tfjs has no filter-gradient kernels of its own; these
 * were most of a training step (docs/PERFORMANCE.md).
 *
 * Each kernel falls back to the wasm one for what it does not handle (a dtype other than float32,
 * NCHW, a fused activation other than ReLU and leaky ReLU, padding oneDNN cannot express).
 */

/** tfjs's description of a convolution as oneDNN's, or undefined where oneDNN cannot express it. */
export function toGeometry(info: backend_util.Conv2DInfo, depthwise: boolean): ConvGeometry | undefined {
  if (info.dataFormat !== 'channelsLast') return undefined;
  const { top, left } = info.padInfo;
  // tfjs's bottom/right pads can exceed what the last window reaches; oneDNN wants them exact.
  const pb = (info.outHeight - 1) * info.strideHeight + (info.filterHeight - 1) * info.dilationHeight + 1 - info.inHeight - top;
  const pr = (info.outWidth - 1) * info.strideWidth + (info.filterWidth - 1) * info.dilationWidth + 1 - info.inWidth - left;
  const sizes = [info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.outChannels];
  if (top < 0 || left < 0 || pb < 0 || pr < 0 || sizes.some((s) => s <= 0)) return undefined;
  return {
    n: info.batchSize,
    ih: info.inHeight,
    iw: info.inWidth,
    ic: info.inChannels,
    oh: info.outHeight,
    ow: info.outWidth,
    oc: info.outChannels,
    kh: info.filterHeight,
    kw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    dh: info.dilationHeight,
    dw: info.dilationWidth,
    pt: top,
    pl: left,
    pb,
    pr,
    depthwise,
  };
}

type Attrs = ConvAttrs & { activation?: string; leakyreluAlpha?: number; inputShape?: number[]; filterShape?: number[] };
const allFloat = (ts: Array<TensorInfo | undefined>): boolean => ts.every((t) => t === undefined || t.dtype === 'float32');

/** Whether the addon's convForward takes an activation's name (built with gelu) or only ReLU's flag. */
const namesActivations = (addon: NativeAddon): boolean => typeof addon.gelu === 'function';

/** The activations the addon's convForward applies; the rest go to the backend's own kernel. */
function nativeActivation(addon: NativeAddon, activation: string): ConvActivation | undefined {
  if (activation === 'linear' || activation === 'relu') return activation;
  return namesActivations(addon) && (activation === 'leakyrelu' || activation === 'gelu') ? activation : undefined;
}

/** Runs the addon's forward convolution into a new tensor, or undefined where it cannot (the caller falls back). */
function convForwardOnHeap(addon: NativeAddon, args: KernelArgs, depthwise: boolean, activation: string): TensorInfo | undefined {
  const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
  const a = args.attrs as unknown as Attrs;
  const post = nativeActivation(addon, activation);
  const g = toGeometry(forwardConvInfo(x!.shape, filter!.shape, a, depthwise), depthwise);
  const biasOk = bias === undefined || util.sizeFromShape(bias.shape) === g?.oc;
  if (g === undefined || post === undefined || !allFloat([x, filter, bias]) || preluActivationWeights !== undefined || !biasOk) return undefined;
  // tfjs's leaky ReLU slope defaults to 0.2 (its fused ops' leakyreluAlpha).
  const alpha = a.leakyreluAlpha ?? 0.2;
  const ins = bias === undefined ? [x!, filter!] : [x!, filter!, bias];
  return onHeapFloat(args.backend, ins, [g.n, g.oh, g.ow, g.oc], ([xv, fv, bv], out) => {
    if (namesActivations(addon)) addon.convForward(xv!, fv!, bv ?? null, out, g, post, alpha);
    else (addon.convForward as unknown as (...v: unknown[]) => string)(xv!, fv!, bv ?? null, out, g, post === 'relu');
  });
}

/** Conv2D, DepthwiseConv2dNative and their fused forms (bias; ReLU or leaky ReLU), in place of the backend's own. */
export function forwardKernel(addon: NativeAddon, name: string, depthwise: boolean, fused: boolean): KernelConfig {
  return replacing(name, 'wasm', (own) => (args) => {
    const activation = fused ? ((args.attrs as unknown as Attrs).activation ?? 'linear') : 'linear';
    return convForwardOnHeap(addon, args, depthwise, activation) ?? own(args);
  });
}

/**
 * This lab's kernel name for a convolution with bias whose output goes through GELU (tanh form), one
 * oneDNN primitive: MAXIM's dense layers before its GELUs (src/peers/graph-fusion.ts). Inputs and
 * attributes as FusedConv2D's (activation ignored).
 */
export const CONV2D_GELU = 'DeblurConv2DGelu';

/** The addon's CONV2D_GELU, where it applies GELU; it refuses what it cannot express (the caller checks first). */
export function geluConvKernel(addon: NativeAddon): KernelConfig | undefined {
  if (!namesActivations(addon)) return undefined;
  return {
    kernelName: CONV2D_GELU,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const out = convForwardOnHeap(addon, args, false, 'gelu');
      if (out === undefined) throw new Error(`${CONV2D_GELU}: float32 NHWC convolutions only, with a bias of the output's channels`);
      return out;
    },
  };
}

/** dx of a convolution (also tfjs's conv2dTranspose), in place of (and falling back to) the wasm kernel. */
export function backwardDataKernel(addon: NativeAddon, wasmKernel: KernelConfig, depthwise: boolean): KernelConfig {
  return over(wasmKernel, (fallback) => (args) => {
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = args.attrs as unknown as Attrs;
    const g = toGeometry(forwardConvInfo(a.inputShape!, filter.shape, { ...a, dilations: depthwise ? a.dilations : 1 }, depthwise), depthwise);
    if (g === undefined || !allFloat([dy, filter])) return fallback(args);
    return onHeapFloat(args.backend, [dy, filter], [g.n, g.ih, g.iw, g.ic], ([dyv, fv], dx) => {
      addon.convBackwardData(dyv!, fv!, dx, g);
    });
  });
}

/** dW of a convolution, in place of (and falling back to) the wasm kernel. */
export function backwardWeightsKernel(addon: NativeAddon, wasmKernel: KernelConfig, depthwise: boolean): KernelConfig {
  return over(wasmKernel, (fallback) => (args) => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const a = args.attrs as unknown as Attrs;
    const g = toGeometry(forwardConvInfo(x.shape, a.filterShape!, { ...a, dilations: depthwise ? a.dilations : 1 }, depthwise), depthwise);
    if (g === undefined || !allFloat([x, dy])) return fallback(args);
    return onHeapFloat(args.backend, [x, dy], a.filterShape!, ([xv, dyv], dw) => {
      addon.convBackwardWeights(xv!, dyv!, dw, g);
    });
  });
}
