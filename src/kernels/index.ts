import { registerKernel, unregisterKernel, getKernel, type KernelConfig } from '@tensorflow/tfjs';
import { ALL_KERNELS } from './all-kernels';
import { loadNative, type NativeAddon } from './native/addon';

/**
 * This lab's kernels for tfjs-backend-wasm, from ALL_KERNELS: the gradients tfjs-backend-wasm 4.22
 * lacks (or has only as a slow loop), buffer-sharing Identity and Cast, Slice, SplitV,
 * StridedSlice, Concat and Tile that copy only what they need, and Einsum (for MAXIM).
 */
export function wasmTrainingKernels(): KernelConfig[] {
  return ALL_KERNELS.flatMap((m) => (m.wasm ? [m.wasm()] : []));
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
 * Registers the wasm kernels and then the native addon's over them, when it is built: every module
 * of ALL_KERNELS with a native kernel (oneDNN's convolutions and their gradients, products,
 * reductions, elementwise ops, copies, resampling and a whole Adam step on all cores). Returns the
 * addon, or why it is not used (the wasm kernels then stay).
 */
export function registerNativeKernels(): NativeAddon | string {
  const wasm = new Map(registerWasmTrainingKernels().map((k) => [k.kernelName, k]));
  const addon = loadNative();
  if (typeof addon === 'string') return addon;
  for (const m of ALL_KERNELS) {
    const k = m.native?.(addon, wasm.get(m.name));
    if (k) replaceKernel(k);
  }
  return addon;
}

/** Replaces tfjs-backend-cpu's kernels where they are wrong (ResizeNearestNeighborGrad for batches > 1). Idempotent. */
export function registerCpuKernelFixes(): void {
  for (const m of ALL_KERNELS) if (m.cpu) replaceKernel(m.cpu());
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

export { installLeanBackprop, uninstallLeanBackprop } from './gradients/lean-backprop';
export { installLeanGradients } from './gradients/lean-gradients';
export { threadsAdapt } from './native/addon';
