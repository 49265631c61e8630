import { backend_util, type TensorInfo } from '@tensorflow/tfjs';
import type { KernelChain } from './chain';

/** The conv attributes every gradient kernel receives, in tfjs's own types. */
export interface ConvAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: [number, number] | number;
  dataFormat?: 'NHWC' | 'NCHW';
}

/** The forward convolution a gradient belongs to: shapes, strides and the padding tfjs used. */
export function forwardConvInfo(
  xShape: number[],
  filterShape: number[],
  a: ConvAttrs,
  depthwise: boolean,
): backend_util.Conv2DInfo {
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    a.strides,
    a.dilations ?? 1,
    a.pad,
    a.dimRoundingMode,
    depthwise,
    a.dataFormat === 'NCHW' ? 'channelsFirst' : 'channelsLast',
  );
}

/**
 * Pads x (zeros) so that every tap of every output position is in range, i.e. covers rows
 * [-top, (outH-1)*sh + (kh-1)*dh] of the input. tfjs's `bottom` pad can be larger than needed,
 * so it is recomputed rather than copied.
 */
export function padForTaps(c: KernelChain, x: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { padInfo } = info;
  const needH = (info.outHeight - 1) * info.strideHeight + (info.filterHeight - 1) * info.dilationHeight + 1;
  const needW = (info.outWidth - 1) * info.strideWidth + (info.filterWidth - 1) * info.dilationWidth + 1;
  const bottom = Math.max(0, needH - info.inHeight - padInfo.top);
  const right = Math.max(0, needW - info.inWidth - padInfo.left);
  if (padInfo.top === 0 && padInfo.left === 0 && bottom === 0 && right === 0) return x;
  return c.run(
    'PadV2',
    { x },
    {
      paddings: [
        [0, 0],
        [padInfo.top, bottom],
        [padInfo.left, right],
        [0, 0],
      ],
      constantValue: 0,
    },
  );
}

/**
 * Inserts (stride-1) zeros between the rows and columns of dy ([N, oh, ow, C] → [N, oh*sh, ow*sw, C],
 * trailing zeros included). A strided conv's input gradient is a stride-1 correlation of this.
 */
export function insertZeros(c: KernelChain, dy: TensorInfo, sh: number, sw: number): TensorInfo {
  const [n, oh, ow, ch] = dy.shape as [number, number, number, number];
  let t = dy;
  if (sh > 1) {
    t = c.reshape(t, [n, oh, 1, ow * ch]);
    t = c.run('PadV2', { x: t }, { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0]], constantValue: 0 });
    t = c.reshape(t, [n, oh * sh, ow, ch]);
  }
  if (sw > 1) {
    t = c.reshape(t, [n * oh * sh, ow, 1, ch]);
    t = c.run('PadV2', { x: t }, { paddings: [[0, 0], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 });
    t = c.reshape(t, [n, oh * sh, ow * sw, ch]);
  }
  return t;
}

/**
 * The input gradient of a conv is a "full" stride-1 correlation of the zero-inserted dy with the
 * spatially flipped filter. Returns the explicit padding for that correlation, after cropping dy
 * where a pad would be negative (forward pads larger than the dilated kernel).
 */
export function fullCorrelationInput(
  c: KernelChain,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
): { dy: TensorInfo; pads: backend_util.ExplicitPadding } {
  let t = insertZeros(c, dy, info.strideHeight, info.strideWidth);
  const kh = (info.filterHeight - 1) * info.dilationHeight + 1;
  const kw = (info.filterWidth - 1) * info.dilationWidth + 1;
  let top = kh - 1 - info.padInfo.top;
  let left = kw - 1 - info.padInfo.left;
  const [n, h, w, ch] = t.shape as [number, number, number, number];
  // Crop rows/cols that a negative pad would remove.
  const cropTop = Math.max(0, -top);
  const cropLeft = Math.max(0, -left);
  top = Math.max(0, top);
  left = Math.max(0, left);
  let bottom = info.inHeight + kh - 1 - top - (h - cropTop);
  let right = info.inWidth + kw - 1 - left - (w - cropLeft);
  const cropBottom = Math.max(0, -bottom);
  const cropRight = Math.max(0, -right);
  bottom = Math.max(0, bottom);
  right = Math.max(0, right);
  if (cropTop + cropLeft + cropBottom + cropRight > 0) {
    t = c.run(
      'Slice',
      { x: t },
      { begin: [0, cropTop, cropLeft, 0], size: [n, h - cropTop - cropBottom, w - cropLeft - cropRight, ch] },
    );
  }
  return {
    dy: t,
    pads: [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ],
  };
}

/** begin/end/strides of StridedSlice for tap (i, j) over a tap-padded NHWC tensor. */
export function tapSlice(
  shape: number[],
  info: backend_util.Conv2DInfo,
  i: number,
  j: number,
  spatialAxis: number,
): { begin: number[]; end: number[]; strides: number[] } {
  const r0 = i * info.dilationHeight;
  const c0 = j * info.dilationWidth;
  const begin = shape.map(() => 0);
  const end = [...shape];
  const strides = shape.map(() => 1);
  begin[spatialAxis] = r0;
  begin[spatialAxis + 1] = c0;
  end[spatialAxis] = r0 + (info.outHeight - 1) * info.strideHeight + 1;
  end[spatialAxis + 1] = c0 + (info.outWidth - 1) * info.strideWidth + 1;
  strides[spatialAxis] = info.strideHeight;
  strides[spatialAxis + 1] = info.strideWidth;
  return { begin, end, strides };
}
