import type { NetConfig } from './config';
import { channelAttention } from './channel-attention';
import { add, concat, conv, type T } from './layers';

/**
 * Res2Net block (Gao et al., eq. 1) as a residual block of constant width C:
 *   x1..xs = split(conv1×1(x) + ReLU),  w = C/s
 *   y1 = x1;  y2 = K2(x2);  y_i = K_i(x_i + y_{i-1})    (K = conv3×3 + ReLU)
 *   y = SE(conv1×1(concat(y1..ys))) + x
 * As in MSRM, the split 1×1 conv is built as s convs of C → w. BatchNorm is left out, as in
 * MIMO-UNet's blocks.
 */
export function res2netBlock(x: T, channels: number, cfg: NetConfig['res2net'], minHidden: number, name: string): T {
  const s = cfg.scale;
  const w = channels / s;
  const ys: T[] = [];
  for (let i = 1; i <= s; i++) {
    const xi = conv(x, { filters: w, kernel: 1, relu: true, name: `${name}_pw${i}` });
    if (i === 1) {
      ys.push(xi);
      continue;
    }
    const input = i === 2 ? xi : add([xi, ys[i - 2]!], `${name}_sum${i}`);
    ys.push(conv(input, { filters: w, kernel: 3, relu: true, name: `${name}_y${i}` }));
  }
  const fused = conv(concat(ys, `${name}_cat`), { filters: channels, kernel: 1, name: `${name}_fuse` });
  return add([channelAttention(fused, channels, cfg.seReduction, minHidden, `${name}_se`), x], `${name}_add`);
}
