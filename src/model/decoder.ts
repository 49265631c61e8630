import { resamplingOf, type NetConfig } from './config';
import { blockGroup } from './blocks';
import { add, concat, conv, upConv, type T } from './layers';
import { skipKind } from './parts';

/** The skip feature for decoder level 1 or 2, by the configured fusion. */
function skip(encoders: [T, T, T], level: 1 | 2, cfg: NetConfig): T {
  const kind = skipKind(cfg.skip);
  if (!kind) throw new Error(`unknown skip fusion ${cfg.skip}`); // validateConfig reports it first
  return kind.build(encoders, level, cfg.channels * 2 ** (level - 1), cfg, resamplingOf(cfg).skipDown);
}

/**
 * The three decoder modules, coarse to fine. Each runs N blocks and predicts a residual image that
 * is added to the blurred input at its scale: S3 (¼), S2 (½), S1 (full). DM3 and DM2 also upsample
 * with a transposed conv for the next level, which concatenates the skip and reduces with 1×1.
 */
export function decoder(encoders: [T, T, T], blurred: [T, T, T], cfg: NetConfig): [T, T, T] {
  const c = cfg.channels;
  const [b1, b2, b3] = blurred;
  const d3 = blockGroup(encoders[2], 4 * c, cfg, 'dm3');
  const s3 = add([conv(d3, { filters: 3, kernel: 3, name: 'dm3_out' }), b3], 'S3');

  const in2 = conv(concat([upConv(d3, 2 * c, 'dm3_up'), skip(encoders, 2, cfg)], 'dm2_cat'), { filters: 2 * c, kernel: 1, relu: true, name: 'dm2_in' });
  const d2 = blockGroup(in2, 2 * c, cfg, 'dm2');
  const s2 = add([conv(d2, { filters: 3, kernel: 3, name: 'dm2_out' }), b2], 'S2');

  const in1 = conv(concat([upConv(d2, c, 'dm2_up'), skip(encoders, 1, cfg)], 'dm1_cat'), { filters: c, kernel: 1, relu: true, name: 'dm1_in' });
  const d1 = blockGroup(in1, c, cfg, 'dm1');
  const s1 = add([conv(d1, { filters: 3, kernel: 3, name: 'dm1_out' }), b1], 'S1');
  return [s3, s2, s1];
}
