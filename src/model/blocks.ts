import type { NetConfig } from './config';
import { blockKind } from './parts';
import type { T } from './layers';

/** A group of N feature blocks of the configured type (MIMO-UNet's EBlock/DBlock). */
export function blockGroup(x: T, channels: number, cfg: NetConfig, name: string): T {
  const kind = blockKind(cfg.block);
  if (!kind) throw new Error(`unknown block type ${cfg.block}`); // validateConfig reports it first
  let t = x;
  for (let i = 1; i <= cfg.blocks; i++) t = kind.build(t, channels, cfg, `${name}_b${i}`);
  return t;
}
