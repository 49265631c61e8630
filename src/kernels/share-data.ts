import { getKernel, type DataType, type KernelBackend, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';

/**
 * tfjs-backend-wasm's Identity, and its Cast to the same dtype, copy the whole buffer. The engine
 * clones every tensor it saves for the backward pass, so training copied each saved activation
 * once (time) and held original and copy together until the forward pass ended (memory). tfjs
 * tensors are immutable, so, as the cpu backend does, these kernels can share the input's buffer
 * and count one more reference to it.
 */
function share(x: TensorInfo, backend: KernelBackend, dtype: DataType = x.dtype): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype };
}

export function makeSharedIdentity(backendName: string): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend }) => {
    const x = inputs['x']!;
    if (x.dtype === 'string') throw new Error('Identity: string tensors are not supported on this backend');
    return share(x, backend as KernelBackend);
  };
  return { kernelName: 'Identity', backendName, kernelFunc };
}

// The backend's own Cast, for real conversions; captured once, before it is replaced.
const originalCasts = new Map<string, KernelConfig>();

export function makeSharedCast(backendName: string): KernelConfig {
  if (!originalCasts.has(backendName)) {
    const own = getKernel('Cast', backendName);
    if (own === undefined) throw new Error(`backend ${backendName} has no Cast kernel to wrap`);
    originalCasts.set(backendName, own);
  }
  const own = originalCasts.get(backendName)!;
  const convert = own.kernelFunc;
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs['x']!;
    const dtype = (args.attrs as { dtype: DataType }).dtype;
    return x.dtype === dtype ? share(x, args.backend as KernelBackend) : convert(args);
  };
  return { kernelName: 'Cast', backendName, kernelFunc, ...(own.setupFunc ? { setupFunc: own.setupFunc } : {}) };
}
