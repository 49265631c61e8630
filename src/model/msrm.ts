import type { NetConfig } from './config';
import { caHiddenWidth, channelAttention } from './channel-attention';
import { add, concat, conv, depthwise, type T } from './layers';

/**
 * MSRM, the paper's multi-scale residual module (eq. 1–3):
 *
 *   x1..x4 = split(DSConv3×3(x))
 *   y1 = conv3×3(x1);  y_k = conv3×3(x_k + y_{k-1}),  k = 2..4
 *   y  = CA(conv1×1(concat(y1..y4))) + x
 *
 * y_k has the receptive field of k stacked 3×3 convs, so the four branches are four scales.
 * Their layers are named `${name}_y1`..`_y4`; probes read them from there.
 *
 * The depthwise-separable conv's pointwise half is built as four 1×1 convs (C → C/4), one per
 * split: exactly one 1×1 conv followed by a channel split (same weights, same count), without a
 * slicing layer, which tfjs-layers lacks.
 */
export function msrm(x: T, channels: number, cfg: NetConfig['msrm'], name: string): T {
  const part = channels / 4;
  const dw = depthwise(x, 3, `${name}_dw`);
  const ys: T[] = [];
  for (let k = 1; k <= 4; k++) {
    const xk = conv(dw, { filters: part, kernel: 1, relu: cfg.reluAfterSeparable, name: `${name}_pw${k}` });
    const input = k === 1 ? xk : add([xk, ys[k - 2]!], `${name}_sum${k}`);
    ys.push(conv(input, { filters: part, kernel: 3, relu: cfg.reluAfterBranches, name: `${name}_y${k}` }));
  }
  const fused = conv(concat(ys, `${name}_cat`), { filters: channels, kernel: 1, name: `${name}_fuse` });
  return add([channelAttention(fused, channels, cfg.caReduction, cfg.caMinHidden, `${name}_ca`), x], `${name}_add`);
}

/** Parameters of one MSRM of width c, from the equations above (for notebooks and docs). */
export function msrmParams(c: number, cfg: NetConfig['msrm']): number {
  const p = c / 4;
  const h = caHiddenWidth(c, cfg.caReduction, cfg.caMinHidden);
  const dw = 9 * c + c;
  const pw = 4 * (c * p + p);
  const branches = 4 * (9 * p * p + p);
  const fuse = c * c + c;
  const ca = c * h + h + h * c + c;
  return dw + pw + branches + fuse + ca;
}

