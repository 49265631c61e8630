import { type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import type { KernelModule } from '../kernel-module';
import { forwardConvInfo, type ConvAttrs } from '../support/geometry';
import { backwardWeightsKernel } from '../support/onednn-conv';

/** What this kernel needs from the wasm backend: its output allocation and views of its heap. */
interface HeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}

/**
 * dW of a depthwise conv, which wasm lacks:
 *   dW[i, j, c, q] = Σ_{n,y,x} X[n, y·sh + i·dh − top, x·sw + j·dw − left, c] · dY[n, y, x, c·m + q]
 * A direct loop over views of the wasm heap. Built from tfjs kernels, each tap cost a window
 * copy, a product, and a reduction over batch and space that wasm's Sum runs as a transpose
 * plus a reduce: ~100 ms per layer at 4 × 128² × 32, against ~10 ms for this loop, which reads
 * each input once per tap and allocates nothing but the (small) result. Sums are kept in doubles.
 */
function wasmDepthwiseBackpropFilter(): KernelConfig {
  const backendName = 'wasm';
  const kernelFunc = ({ inputs, backend, attrs }: Parameters<KernelFunc>[0]): TensorInfo => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    if (x.dtype !== 'float32' || dy.dtype !== 'float32') throw new Error('DepthwiseConv2dNativeBackpropFilter: float32 only');
    const a = attrs as unknown as ConvAttrs & { filterShape: number[] };
    const info = forwardConvInfo(x.shape, a.filterShape, a, true);
    const [kh, kw, inC, mult] = a.filterShape as [number, number, number, number];
    const heap = backend as unknown as HeapBackend;
    const out = heap.makeOutput([kh, kw, inC, mult], 'float32');
    const xs = heap.typedArrayFromHeap(x);
    const dys = heap.typedArrayFromHeap(dy);
    const sums = new Float64Array(kh * kw * inC * mult);
    const { inHeight: H, inWidth: W, outHeight: OH, outWidth: OW, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
    const { top, left } = info.padInfo;
    const outC = inC * mult;
    // The output columns whose tap j lands inside the input, so the inner loops need no checks.
    const firstX = (j: number) => Math.max(0, Math.ceil((left - j * dw) / sw));
    const endX = (j: number) => Math.min(OW, Math.floor((W - 1 - j * dw + left) / sw) + 1);
    for (let n = 0; n < info.batchSize; n++) {
      for (let y = 0; y < OH; y++) {
        const dyRow = (n * OH + y) * OW * outC;
        for (let i = 0; i < kh; i++) {
          const iy = y * sh + i * dh - top;
          if (iy < 0 || iy >= H) continue;
          const xRow = (n * H + iy) * W * inC;
          for (let j = 0; j < kw; j++) {
            const sBase = (i * kw + j) * outC;
            const x1 = endX(j);
            for (let xo = firstX(j); xo < x1; xo++) {
              const xBase = xRow + (xo * sw + j * dw - left) * inC;
              const dyBase = dyRow + xo * outC;
              if (mult === 1) {
                for (let c = 0; c < inC; c++) sums[sBase + c] += xs[xBase + c]! * dys[dyBase + c]!;
              } else {
                for (let c = 0; c < inC; c++) {
                  const xv = xs[xBase + c]!;
                  for (let q = 0; q < mult; q++) sums[sBase + c * mult + q] += xv * dys[dyBase + c * mult + q]!;
                }
              }
            }
          }
        }
      }
    }
    heap.typedArrayFromHeap(out).set(sums);
    return out;
  };
  return { kernelName: DepthwiseConv2dNativeBackpropFilter.name, backendName, kernelFunc: kernelFunc as KernelFunc };
}

export const DepthwiseConv2dNativeBackpropFilter: KernelModule = {
  name: 'DepthwiseConv2dNativeBackpropFilter',
  wasm: wasmDepthwiseBackpropFilter,
  native: (addon, labWasm) => backwardWeightsKernel(addon, labWasm!, true),
};
