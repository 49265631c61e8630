import { type KernelBackend, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import type { KernelModule } from '../kernel-module';
import { withChain } from '../support/chain';
import { forwardConvInfo, padForTaps, tapSlice, type ConvAttrs } from '../support/geometry';
import { backwardWeightsKernel } from '../support/onednn-conv';

/**
 * dW of a conv2d, which wasm lacks: for each filter tap (i, j),
 *   dW[i, j] = X_ijᵀ · dY,   X_ij: [M, inC] (the input pixels that tap saw),  dY: [M, outC].
 * tfjs-wasm's BatchMatMul is fast (XNNPACK) only for a single batch without transposes, and
 * packs its right operand once per tensor; its Transpose slows sharply with the channel count.
 * So one of the two operands is transposed once, whichever is narrower:
 *   'x'  (outC ≥ inC): X_ijᵀ · dY, with dY the right operand of every tap, packed once;
 *   'dy' (outC < inC): (dYᵀ · X_ij)ᵀ, with each tap's pixels the right operand.
 *
 * Stride 1: on the zero-padded input [N, Hp, Wp, C] flattened to N·Hp·Wp pixels, tap (i, j) of
 * output pixel r is pixel r + i·Wp + j, if outputs are indexed on the padded grid too. So dY is
 * zero-padded to that grid once, and every tap is one contiguous range of pixels: the padding
 * pixels meet zero gradients and add nothing. Strided convs (the two stride-2 convs, and the
 * transposed convs' filter gradients) copy each tap's window out instead.
 */
function wasmConv2DBackpropFilter(): KernelConfig {
  const backendName = 'wasm';
  const kernelFunc = ({ inputs, backend, attrs }: Parameters<KernelFunc>[0]): TensorInfo => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = attrs as unknown as ConvAttrs & { filterShape: number[]; dataFormat?: string };
    if (a.dataFormat !== undefined && a.dataFormat !== 'NHWC') throw new Error('Conv2DBackpropFilter: only NHWC');
    const info = forwardConvInfo(x.shape, a.filterShape, { ...a, dilations: 1 }, false);
    const { inChannels: inC, outChannels: outC, filterHeight: kh, filterWidth: kw } = info;
    return withChain(backend as KernelBackend, backendName, (c) => {
      const xp = padForTaps(c, x, info);
      const strided = info.strideHeight > 1 || info.strideWidth > 1;
      const transpose: Transposed = strided || outC < inC ? 'dy' : 'x';
      const taps = strided ? windowTaps(c, xp, dy, info) : rowRangeTaps(c, xp, dy, info, transpose);
      const all = taps.length === 1 ? taps[0]! : c.run('Concat', taps as unknown as Record<string, TensorInfo>, { axis: 0 });
      if (transpose === 'x') return c.reshape(all, [kh, kw, inC, outC]);
      const dwT = c.reshape(all, [kh * kw, outC, inC]);
      return c.reshape(c.run('Transpose', { x: dwT }, { perm: [0, 2, 1] }), [kh, kw, inC, outC]);
    });
  };
  return { kernelName: Conv2DBackpropFilter.name, backendName, kernelFunc: kernelFunc as KernelFunc };
}

type Chain = Parameters<Parameters<typeof withChain>[2]>[0];
type Info = ReturnType<typeof forwardConvInfo>;
type Transposed = 'x' | 'dy';

const matmul = (c: Chain, a: TensorInfo, b: TensorInfo) => c.run('BatchMatMul', { a, b }, { transposeA: false, transposeB: false });
const transpose2d = (c: Chain, t: TensorInfo, rows: number, cols: number) => c.run('Transpose', { x: c.reshape(t, [rows, cols]) }, { perm: [1, 0] });

/** Stride 1: each tap is pixels [i·Wp + j, + L) of the flattened padded input. Per-tap results: [inC, outC] ('x') or [outC, inC] ('dy'). */
function rowRangeTaps(c: Chain, xp: TensorInfo, dy: TensorInfo, info: Info, transposed: Transposed): TensorInfo[] {
  const [n, hp, wp] = xp.shape as [number, number, number, number];
  const { inChannels: inC, outChannels: outC, filterHeight: kh, filterWidth: kw, outHeight: oh, outWidth: ow } = info;
  const pixels = n * hp * wp;
  const length = pixels - (kh - 1) * wp - (kw - 1);
  let dyGrid = dy;
  if (hp !== oh || wp !== ow) {
    dyGrid = c.run('PadV2', { x: dy }, { paddings: [[0, 0], [0, hp - oh], [0, wp - ow], [0, 0]], constantValue: 0 });
  }
  let dyRows = c.reshape(dyGrid, [pixels, outC]);
  if (length !== pixels) dyRows = c.run('Slice', { x: dyRows }, { begin: [0, 0], size: [length, outC] });
  const shared = transposed === 'x' ? c.reshape(dyRows, [1, length, outC]) : c.reshape(transpose2d(c, dyRows, length, outC), [1, outC, length]);
  // 'x': the input as [inC, pixels], taps are column ranges; 'dy': as [pixels, inC], taps are row ranges.
  const source = transposed === 'x' ? transpose2d(c, xp, pixels, inC) : c.reshape(xp, [pixels, inC]);
  const taps: TensorInfo[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const offset = i * wp + j;
      if (transposed === 'x') {
        const tap = offset === 0 && length === pixels ? source : c.run('Slice', { x: source }, { begin: [0, offset], size: [inC, length] });
        taps.push(matmul(c, c.reshape(tap, [1, inC, length]), shared));
      } else {
        const tap = offset === 0 && length === pixels ? source : c.run('Slice', { x: source }, { begin: [offset, 0], size: [length, inC] });
        taps.push(matmul(c, shared, c.reshape(tap, [1, length, inC])));
      }
    }
  }
  return taps;
}

/** Any stride: dYᵀ once, then each tap's window of the padded input copied out. Per-tap results: [outC, inC]. */
function windowTaps(c: Chain, xp: TensorInfo, dy: TensorInfo, info: Info): TensorInfo[] {
  const { inChannels: inC, outChannels: outC, filterHeight: kh, filterWidth: kw } = info;
  const m = info.batchSize * info.outHeight * info.outWidth;
  const dyT = c.reshape(transpose2d(c, dy, m, outC), [1, outC, m]);
  const taps: TensorInfo[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const s = tapSlice(xp.shape, info, i, j, 1);
      const tap = c.run('StridedSlice', { x: xp }, { ...s, beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0 });
      taps.push(matmul(c, dyT, c.reshape(tap, [1, m, inC])));
    }
  }
  return taps;
}

export const Conv2DBackpropFilter: KernelModule = {
  name: 'Conv2DBackpropFilter',
  wasm: wasmConv2DBackpropFilter,
  native: (addon, labWasm) => backwardWeightsKernel(addon, labWasm!, false),
};
