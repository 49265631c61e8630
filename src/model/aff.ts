import { concat, conv, type T } from './layers';
import { resampleOnly, type DownMode } from './resample';

/**
 * MIMO-UNet's asymmetric feature fusion: concat the three encoder outputs (resampled to this
 * level), conv1×1 + ReLU, conv3×3. Params AFF(224→32) = 16,448; AFF(224→64) = 51,328.
 */
export function aff(encoders: [T, T, T], level: number, channels: number, name: string, down: DownMode = 'box'): T {
  const xs = encoders.map((e, i) => resampleOnly(e, i + 1, level, `${name}_x${i + 1}`, down));
  const t = conv(concat(xs, `${name}_cat`), { filters: channels, kernel: 1, relu: true, name: `${name}_conv1` });
  return conv(t, { filters: channels, kernel: 3, name: `${name}_conv2` });
}
