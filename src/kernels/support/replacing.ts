import { getKernel, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs';

// The backend's own kernels, captured before they are replaced: the fallback for what a
// replacement does not handle, and the setup hook that the backend runs when it starts (wasm's
// StridedSlice binds its wasm function there), which the replacement must keep.
const originals = new Map<string, KernelConfig>();

/** The backend's own kernel `name`, as it was before any replacement. */
export function original(name: string, backendName: string): KernelConfig {
  const key = `${name}/${backendName}`;
  if (!originals.has(key)) {
    const k = getKernel(name, backendName);
    if (k === undefined) throw new Error(`backend ${backendName} has no ${name} kernel`);
    originals.set(key, k);
  }
  return originals.get(key)!;
}

/** A kernel registered in place of `base`: the same name, backend and setup, falling back to `base`'s function. */
export function over(base: KernelConfig, make: (fallback: KernelFunc) => KernelFunc): KernelConfig {
  return { ...base, kernelFunc: make(base.kernelFunc) };
}

/** A replacement for a backend's kernel that falls back to, and sets up like, the backend's own. */
export function replacing(name: string, backendName: string, make: (fallback: KernelFunc) => KernelFunc): KernelConfig {
  return over(original(name, backendName), make);
}
