import type { NetConfig } from './config';
import { resBlock } from './basic';
import { msrm } from './msrm';
import { res2netBlock } from './res2net';
import type { T } from './layers';

/** A group of N feature blocks of the configured type (MIMO-UNet's EBlock/DBlock). */
export function blockGroup(x: T, channels: number, cfg: NetConfig, name: string): T {
  let t = x;
  for (let i = 1; i <= cfg.blocks; i++) {
    const n = `${name}_b${i}`;
    if (cfg.block === 'msrm') t = msrm(t, channels, cfg.msrm, n);
    else if (cfg.block === 'res2net') t = res2netBlock(t, channels, cfg.res2net, cfg.msrm.caMinHidden, n);
    else t = resBlock(t, channels, n);
  }
  return t;
}
