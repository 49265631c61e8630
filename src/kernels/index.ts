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
import { nativeOptimizer } from './native-optimizer';

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

/**
 * Registers them for 'wasm', replacing the built-in slow Conv2DBackpropInput, and puts back what
 * the backend had under every other name a registration here replaced (the native kernels': its
 * own kernel, or none, e.g. the native Adam step, which then runs as tfjs ops); returns the kernels
 * it registered. Idempotent; the engine looks kernels up at each call, so this works before or
 * after the backend starts.
 */
export function registerWasmTrainingKernels(): KernelConfig[] {
  const kernels = wasmTrainingKernels();
  const lab = new Set(kernels.map(keyOf));
  for (const [key, had] of backendOwn) if (key.endsWith('/wasm') && !lab.has(key)) putBack(key, had);
  kernels.forEach(replaceKernel);
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

const keyOf = (k: KernelConfig): string => `${k.kernelName}/${k.backendName}`;

// What each kernel name held before a registration here first replaced it (undefined: the backend
// has no such kernel). Recorded as kernels are replaced, so no list of names can fall out of date.
const backendOwn = new Map<string, KernelConfig | undefined>();

function replaceKernel(k: KernelConfig): void {
  const had = getKernel(k.kernelName, k.backendName);
  if (!backendOwn.has(keyOf(k))) backendOwn.set(keyOf(k), had);
  if (had !== undefined) unregisterKernel(k.kernelName, k.backendName);
  registerKernel(k);
}

function putBack(key: string, had: KernelConfig | undefined): void {
  const [name, backend] = key.split('/') as [string, string];
  if (getKernel(name, backend) !== undefined) unregisterKernel(name, backend);
  if (had) registerKernel(had);
}

export { installLeanBackprop, uninstallLeanBackprop } from './lean-backprop';
export { installLeanGradients } from './lean-gradients';
export { threadsAdapt } from './native-addon';
