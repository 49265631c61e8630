import { type DataType, type KernelBackend, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import { replacing } from './replacing';

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
  return replacing('Identity', backendName, (copy) => (args) => {
    const x = args.inputs['x']!;
    return x.dtype === 'string' ? copy(args) : share(x, args.backend as KernelBackend);
  });
}

/** Cast to the same dtype shares; a real conversion runs the backend's own Cast. */
export function makeSharedCast(backendName: string): KernelConfig {
  return replacing('Cast', backendName, (convert) => (args) => {
    const x = args.inputs['x']!;
    const dtype = (args.attrs as { dtype: DataType }).dtype;
    return x.dtype === dtype ? share(x, args.backend as KernelBackend) : convert(args);
  });
}
