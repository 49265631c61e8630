import { registerKernel, unregisterKernel, getKernel, type KernelConfig } from '@tensorflow/tfjs';
import { convBiasGradKernel } from './conv-bias-grad';
import { makeConv2DBackpropFilter } from './conv2d-backprop-filter';
import { makeConv2DBackpropInput } from './conv2d-backprop-input';
import { makeDepthwiseBackpropFilter } from './depthwise-backprop-filter';
import { makeDepthwiseBackpropInput } from './depthwise-backprop-input';
import { makeEinsum } from './einsum';
import { resizeNearestGradCpu } from './resize-nearest-grad-cpu';
import { makeResizeNearestGrad } from './resize-nearest-grad';
import { makeSharedCast, makeSharedIdentity } from './share-data';
import { makeHeapConcat, makeHeapSlice, makeHeapSplitV, makeHeapStridedSlice, makeHeapTile } from './heap-copies';
import { loadNative, type NativeAddon } from './native-addon';
import { nativeAddN, nativeBinaries, nativeTanh, nativeTile } from './native-binary';
import { nativeBlocks } from './native-blocks';
import { nativeCopies } from './native-copies';
import { nativeBatchMatMul } from './native-matmul';
import { nativeReductions } from './native-reduce';
import { onednnKernels } from './onednn';
import { ADAM_STEP, nativeOptimizer } from './native-optimizer';
import { original } from './replacing';

/** The gradient kernels tfjs-backend-wasm 4.22 lacks (or has only as a slow loop), buffer-sharing Identity/Cast,
 * Slice/SplitV/Concat that copy only what they need (see heap-copies.ts), and Einsum, which it lacks (for MAXIM). */
export function wasmTrainingKernels(): KernelConfig[] {
  return [
    makeConv2DBackpropFilter('wasm'),
    makeConv2DBackpropInput('wasm'),
    makeDepthwiseBackpropInput('wasm'),
    makeDepthwiseBackpropFilter('wasm'),
    makeSharedIdentity('wasm'),
    makeSharedCast('wasm'),
    makeHeapSlice('wasm'),
    makeHeapSplitV('wasm'),
    makeHeapStridedSlice('wasm'),
    makeHeapConcat('wasm'),
    makeHeapTile('wasm'),
    makeResizeNearestGrad('wasm'),
    makeEinsum('wasm'),
    convBiasGradKernel(undefined),
  ];
}

// The backend's own kernels that the native ones replace (the rest replace this lab's, above).
const NATIVE_OVER_OWN = ['Conv2D', 'FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2D', 'Sum', 'Mean', 'Add', 'Sub', 'Multiply', 'RealDiv', 'Tanh', 'BatchMatMul', 'AddN', 'AvgPool', 'AvgPoolGrad', 'ResizeNearestNeighbor'];

/**
 * Registers them for 'wasm', replacing the built-in slow Conv2DBackpropInput, and puts back the
 * backend's own kernels where native ones had replaced them; returns the kernels it registered. Idempotent; the engine looks kernels
 * up at each call, so this works before or after the backend starts.
 */
export function registerWasmTrainingKernels(): KernelConfig[] {
  const kernels = wasmTrainingKernels();
  kernels.forEach(replaceKernel);
  NATIVE_OVER_OWN.forEach((name) => replaceKernel(original(name, 'wasm')));
  if (getKernel(ADAM_STEP, 'wasm') !== undefined) unregisterKernel(ADAM_STEP, 'wasm'); // native only: Adam then runs as tfjs ops
  return kernels;
}

/**
 * Registers the wasm kernels and then the native addon's over them, when it is built: oneDNN's
 * convolutions and their fused gradient (onednn.ts, conv-bias-grad.ts), BatchMatMul (native-matmul.ts),
 * Sum and Mean (native-reduce.ts), broadcasting Add, Sub, Multiply and
 * RealDiv and Tanh (native-binary.ts), Concat and SplitV (native-copies.ts), box pooling and
 * whole-factor nearest upscaling with their gradients (native-blocks.ts), and a whole Adam step (native-optimizer.ts).
 * Returns the addon, or why it is not used (the wasm kernels then stay).
 */
export function registerNativeKernels(): NativeAddon | string {
  const wasm = new Map(registerWasmTrainingKernels().map((k) => [k.kernelName, k]));
  const addon = loadNative();
  if (typeof addon === 'string') return addon;
  const wasmKernel = (name: string): KernelConfig => wasm.get(name)!;
  [...onednnKernels(addon, wasmKernel), ...nativeReductions(addon), ...nativeBinaries(addon), nativeTanh(addon), nativeTile(addon), nativeAddN(addon), ...nativeCopies(addon, wasmKernel), ...nativeBlocks(addon, wasmKernel), nativeOptimizer(addon), convBiasGradKernel(addon), nativeBatchMatMul(addon)].forEach(replaceKernel);
  return addon;
}

/** Replaces tfjs-backend-cpu's ResizeNearestNeighborGrad, which is wrong for batches > 1. Idempotent. */
export function registerCpuKernelFixes(): void {
  replaceKernel(resizeNearestGradCpu);
}

function replaceKernel(k: KernelConfig): void {
  if (getKernel(k.kernelName, k.backendName) !== undefined) unregisterKernel(k.kernelName, k.backendName);
  registerKernel(k);
}

export { installLeanBackprop, uninstallLeanBackprop } from './lean-backprop';
export { installLeanGradients } from './lean-gradients';
export { threadsAdapt } from './native-addon';
