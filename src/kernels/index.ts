import { registerKernel, unregisterKernel, getKernel, type KernelConfig } from '@tensorflow/tfjs';
import { makeConv2DBackpropFilter } from './conv2d-backprop-filter';
import { makeConv2DBackpropInput } from './conv2d-backprop-input';
import { makeDepthwiseBackpropFilter } from './depthwise-backprop-filter';
import { makeDepthwiseBackpropInput } from './depthwise-backprop-input';
import { resizeNearestGradCpu } from './resize-nearest-grad-cpu';
import { makeSharedCast, makeSharedIdentity } from './share-data';
import { makeHeapConcat, makeHeapSlice, makeHeapSplitV, makeHeapStridedSlice } from './heap-copies';

/** The gradient kernels tfjs-backend-wasm 4.22 lacks (or has only as a slow loop), buffer-sharing Identity/Cast, and
 * Slice/SplitV/Concat that copy only what they need (see heap-copies.ts). */
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
  ];
}

/**
 * Registers them for 'wasm', replacing the built-in slow Conv2DBackpropInput. Idempotent; the
 * engine looks kernels up at each call, so this works before or after the backend starts.
 */
export function registerWasmTrainingKernels(): void {
  wasmTrainingKernels().forEach(replaceKernel);
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
