import * as fs from 'node:fs';
import * as path from 'node:path';
import { backend_util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { type ConvAttrs } from './geometry';
import { replacing } from './replacing';

/**
 * The convolutions of tfjs-backend-wasm, forward and both gradients, computed by oneDNN through a
 * small native addon (native/dnnl_conv.cc, built by scripts/build-native.sh from Debian's
 * libdnnl-dev) on all cores, reading and writing the wasm heap in place. XNNPACK in wasm runs
 * on one thread and tfjs has no filter-gradient kernels of its own; these were most of a training
 * step (docs/PERFORMANCE.md).
 *
 * Optional: without the addon (not built, or DEBLUR_ONEDNN=0) the wasm kernels run. Each kernel
 * falls back to the wasm one for what it does not handle (a dtype other than float32, NCHW, a
 * fused activation other than ReLU, padding oneDNN cannot express).
 */

/** The addon's functions (native/dnnl_conv.cc). Each returns the name of the oneDNN implementation it ran. */
export interface OnednnAddon {
  forward(x: Float32Array, filter: Float32Array, bias: Float32Array | null, out: Float32Array, g: Geometry, relu: boolean): string;
  backwardData(dy: Float32Array, filter: Float32Array, dx: Float32Array, g: Geometry): string;
  backwardWeights(x: Float32Array, dy: Float32Array, dw: Float32Array, g: Geometry): string;
  threads(): number;
  version(): string;
}

/** A convolution as oneDNN describes it: NHWC sizes, strides, dilations (1 = none) and the four pads. */
export interface Geometry {
  n: number;
  ih: number;
  iw: number;
  ic: number;
  oh: number;
  ow: number;
  oc: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  pt: number;
  pl: number;
  pb: number;
  pr: number;
  depthwise: boolean;
}

export const ADDON_PATH = path.join(__dirname, '..', '..', 'build', 'native', 'dnnl_conv.node');

let loaded: OnednnAddon | string | undefined;

/** The addon, or why it is not used (DEBLUR_ONEDNN=0, not built, fails to load). Loaded once. */
export function loadOnednn(): OnednnAddon | string {
  if (process.env['DEBLUR_ONEDNN'] === '0') return 'turned off by DEBLUR_ONEDNN=0';
  if (loaded !== undefined) return loaded;
  if (!fs.existsSync(ADDON_PATH)) {
    loaded = `${path.relative(process.cwd(), ADDON_PATH) || ADDON_PATH} is not built (npm run setup builds it where g++ and libdnnl-dev can be installed)`;
  } else {
    try {
      loaded = require(ADDON_PATH) as OnednnAddon;
    } catch (e) {
      loaded = `${ADDON_PATH} does not load: ${(e as Error).message.split('\n')[0]}`;
    }
  }
  return loaded;
}

/** tfjs's description of a convolution as oneDNN's, or undefined where oneDNN cannot express it. */
export function toGeometry(info: backend_util.Conv2DInfo, depthwise: boolean): Geometry | undefined {
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

/** What these kernels need from the wasm backend (its public-in-practice surface). */
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: TensorInfo['dtype']): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
  disposeData(dataId: object): void;
}

/** Allocates the output, then views every tensor on the heap (allocating can grow the heap and detach older views). */
function onHeap(backend: WasmHeapBackend, inputs: TensorInfo[], outShape: number[], call: (views: Float32Array[], out: Float32Array) => void): TensorInfo {
  const out = backend.makeOutput(outShape, 'float32');
  try {
    call(inputs.map((t) => backend.typedArrayFromHeap(t)), backend.typedArrayFromHeap(out));
  } catch (e) {
    backend.disposeData(out.dataId);
    throw e;
  }
  return out;
}

type Attrs = ConvAttrs & { dataFormat?: 'NHWC' | 'NCHW'; activation?: string; inputShape?: number[]; filterShape?: number[] };
const allFloat = (ts: Array<TensorInfo | undefined>): boolean => ts.every((t) => t === undefined || t.dtype === 'float32');
const convInfo = (x: readonly number[], f: readonly number[], a: Attrs, depthwise: boolean) =>
  backend_util.computeConv2DInfo(
    x as [number, number, number, number],
    f as [number, number, number, number],
    a.strides,
    a.dilations ?? 1,
    a.pad,
    a.dimRoundingMode,
    depthwise,
    a.dataFormat === 'NCHW' ? 'channelsFirst' : 'channelsLast',
  );

/** Conv2D, DepthwiseConv2dNative and their fused forms (bias, ReLU), in place of the backend's own. */
function forwardKernel(addon: OnednnAddon, name: string, depthwise: boolean, fused: boolean): KernelConfig {
  return replacing(name, 'wasm', (own) => (args) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
    const a = args.attrs as unknown as Attrs;
    const activation = fused ? (a.activation ?? 'linear') : 'linear';
    const g = toGeometry(convInfo(x!.shape, filter!.shape, a, depthwise), depthwise);
    const biasOk = bias === undefined || bias.shape.reduce((p, s) => p * s, 1) === g?.oc;
    if (g === undefined || !allFloat([x, filter, bias]) || preluActivationWeights !== undefined || !biasOk || (activation !== 'linear' && activation !== 'relu')) {
      return own(args);
    }
    const ins = bias === undefined ? [x!, filter!] : [x!, filter!, bias];
    return onHeap(args.backend as unknown as WasmHeapBackend, ins, [g.n, g.oh, g.ow, g.oc], ([xv, fv, bv], out) => {
      addon.forward(xv!, fv!, bv ?? null, out, g, activation === 'relu');
    });
  });
}

/** dx of a convolution (also tfjs's conv2dTranspose), in place of `fallback` (the wasm kernel). */
function backwardDataKernel(addon: OnednnAddon, fallback: KernelConfig, depthwise: boolean): KernelConfig {
  const kernelFunc = (args: Parameters<KernelFunc>[0]): TensorInfo | TensorInfo[] => {
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = args.attrs as unknown as Attrs;
    const g = toGeometry(convInfo(a.inputShape!, filter.shape, { ...a, dilations: depthwise ? a.dilations : 1 }, depthwise), depthwise);
    if (g === undefined || !allFloat([dy, filter])) return fallback.kernelFunc(args);
    return onHeap(args.backend as unknown as WasmHeapBackend, [dy, filter], [g.n, g.ih, g.iw, g.ic], ([dyv, fv], dx) => {
      addon.backwardData(dyv!, fv!, dx, g);
    });
  };
  return { ...fallback, kernelFunc: kernelFunc as KernelFunc };
}

/** dW of a convolution, in place of `fallback` (the wasm kernel). */
function backwardWeightsKernel(addon: OnednnAddon, fallback: KernelConfig, depthwise: boolean): KernelConfig {
  const kernelFunc = (args: Parameters<KernelFunc>[0]): TensorInfo | TensorInfo[] => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const a = args.attrs as unknown as Attrs;
    const g = toGeometry(convInfo(x.shape, a.filterShape!, { ...a, dilations: depthwise ? a.dilations : 1 }, depthwise), depthwise);
    if (g === undefined || !allFloat([x, dy])) return fallback.kernelFunc(args);
    return onHeap(args.backend as unknown as WasmHeapBackend, [x, dy], a.filterShape!, ([xv, dyv], dw) => {
      addon.backwardWeights(xv!, dyv!, dw, g);
    });
  };
  return { ...fallback, kernelFunc: kernelFunc as KernelFunc };
}

/**
 * The oneDNN kernels for 'wasm'. `wasmKernel(name)` gives the wasm gradient kernel each one falls
 * back to (tfjs-backend-wasm lacks most of them; see kernels/index.ts).
 */
export function onednnKernels(addon: OnednnAddon, wasmKernel: (name: string) => KernelConfig): KernelConfig[] {
  return [
    forwardKernel(addon, 'Conv2D', false, false),
    forwardKernel(addon, 'FusedConv2D', false, true),
    forwardKernel(addon, 'DepthwiseConv2dNative', true, false),
    forwardKernel(addon, 'FusedDepthwiseConv2D', true, true),
    backwardDataKernel(addon, wasmKernel('Conv2DBackpropInput'), false),
    backwardDataKernel(addon, wasmKernel('DepthwiseConv2dNativeBackpropInput'), true),
    backwardWeightsKernel(addon, wasmKernel('Conv2DBackpropFilter'), false),
    backwardWeightsKernel(addon, wasmKernel('DepthwiseConv2dNativeBackpropFilter'), true),
  ];
}
