import { getKernel, type KernelBackend, type NamedAttrMap, type NamedTensorInfoMap, type TensorInfo } from '@tensorflow/tfjs';

/**
 * Runs other kernels of the same backend from inside a kernel, and frees every intermediate result
 * but the one returned. Kernels must compose kernels, not tf ops: ops would be recorded on the
 * gradient tape and tracked by the engine a second time.
 */
export class KernelChain {
  private readonly made: TensorInfo[] = [];

  constructor(
    private readonly backend: KernelBackend,
    private readonly backendName: string,
  ) {}

  run(kernelName: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo {
    const kernel = getKernel(kernelName, this.backendName);
    if (kernel === undefined) {
      throw new Error(`kernel ${kernelName} is not registered for backend ${this.backendName}`);
    }
    const out = kernel.kernelFunc({ inputs, attrs, backend: this.backend });
    if (Array.isArray(out)) throw new Error(`kernel ${kernelName} returned several outputs`);
    this.made.push(out);
    return out;
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  /** Frees every intermediate except `result`, which the caller hands to the engine. */
  finish(result: TensorInfo): TensorInfo {
    for (const t of this.made) {
      if (t !== result) this.backend.disposeData(t.dataId);
    }
    this.made.length = 0;
    return result;
  }

  /** Frees everything (used when a kernel fails half-way). */
  abandon(): void {
    for (const t of this.made) this.backend.disposeData(t.dataId);
    this.made.length = 0;
  }
}

/** Runs `body` with a fresh chain; frees the intermediates whether it succeeds or throws. */
export function withChain(backend: KernelBackend, backendName: string, body: (c: KernelChain) => TensorInfo): TensorInfo {
  const chain = new KernelChain(backend, backendName);
  try {
    return chain.finish(body(chain));
  } catch (e) {
    chain.abandon();
    throw e;
  }
}
