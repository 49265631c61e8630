import { resamplingOf, type NetConfig } from './config';
import { blockGroup } from './blocks';
import { fam } from './fam';
import { conv, type T } from './layers';
import { scm } from './scm';

/**
 * The three encoder modules. EM1: conv3×3 (3→C) + N blocks. EM2/EM3: conv3×3 stride 2 (doubling
 * the width), fused by FAM with SCM features of the downscaled blurred image, + N blocks.
 * Returns [E1, E2, E3] at full, half and quarter resolution.
 */
export function encoder(b1: T, b2: T, b3: T, cfg: NetConfig): [T, T, T] {
  const c = cfg.channels;
  const padding = resamplingOf(cfg).stridePadding;
  const e1 = blockGroup(conv(b1, { filters: c, kernel: 3, relu: true, name: 'em1_in' }), c, cfg, 'em1');
  const down2 = conv(e1, { filters: 2 * c, kernel: 3, stride: 2, relu: true, padding, name: 'em2_down' });
  const e2 = blockGroup(fam(down2, scm(b2, 2 * c, 'scm2'), 2 * c, 'fam2'), 2 * c, cfg, 'em2');
  const down3 = conv(e2, { filters: 4 * c, kernel: 3, stride: 2, relu: true, padding, name: 'em3_down' });
  const e3 = blockGroup(fam(down3, scm(b3, 4 * c, 'scm3'), 4 * c, 'fam3'), 4 * c, cfg, 'em3');
  return [e1, e2, e3];
}
