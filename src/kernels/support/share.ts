import type { DataType, KernelBackend, TensorInfo } from '@tensorflow/tfjs';

/**
 * tfjs-backend-wasm's Identity, and its Cast to the same dtype, copy the whole buffer. The engine
 * clones every tensor it saves for the backward pass, so training copied each saved activation
 * once (time) and held original and copy together until the forward pass ended (memory). tfjs
 * tensors are immutable, so, as the cpu backend does, these kernels can share the input's buffer
 * and count one more reference to it.
 */
export function share(x: TensorInfo, backend: KernelBackend, dtype: DataType = x.dtype): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype };
}
