import type { NetConfig } from './config';
import { aff } from './aff';
import { resBlock } from './basic';
import { dffm } from './dffm';
import { msrm } from './msrm';
import { res2netBlock } from './res2net';
import type { DownMode } from './resample';
import type { T } from './layers';

/**
 * The network's interchangeable parts, one table per kind (as BasicSR's and NAFNet's registries):
 * the feature block every encoder/decoder group repeats N times, and the skip fusion that brings
 * encoder features to decoder levels 1 and 2. Each entry holds everything the lab needs of it: how
 * to build it, which configs cannot, and how a PyTorch twin state_dict without a recorded config
 * shows it. A new kind is one entry here (and its module), plus its twin in python/deblur_twin/torch_twin.py.
 */

/** One kind of feature block. */
export interface BlockKind {
  /** The block `channels` wide on `x`, its layers named `${name}_…`. */
  build(x: T, channels: number, cfg: NetConfig, name: string): T;
  /** Why `cfg` cannot build this block (a sentence for a UsageError), or undefined. */
  unbuildable?(cfg: NetConfig): string | undefined;
  /** A layer only this block has, after `em1_b1_`: how a twin state_dict shows the block type. */
  twinMarker: string;
  /** Settings a twin state_dict's keys fix beyond the design, C and N. */
  fromTwinKeys?(keys: readonly string[], cfg: NetConfig): NetConfig;
}

/** One kind of skip fusion, for decoder level 1 or 2. */
export interface SkipKind {
  /** The skip feature at `level` (`channels` wide) from the three encoder outputs. */
  build(encoders: [T, T, T], level: 1 | 2, channels: number, cfg: NetConfig, down: DownMode): T;
  /** A layer prefix only this fusion has, or undefined for the one with no layers. */
  twinMarker?: string;
}

/** The lab's block types and skip fusions (what its variants and checkpoints name); each has its entry below. */
export const BLOCK_TYPES = ['msrm', 'res', 'res2net'] as const;
export type BlockType = (typeof BLOCK_TYPES)[number];
export const SKIP_FUSIONS = ['dffm', 'aff', 'plain'] as const;
export type SkipFusion = (typeof SKIP_FUSIONS)[number];

const BUILT_IN_BLOCKS: Record<BlockType, BlockKind> = {
  /** The paper's multi-scale residual module (eq. 1–3). */
  msrm: {
    build: (x, channels, cfg, name) => msrm(x, channels, cfg.msrm, name),
    unbuildable: (cfg) => (cfg.channels % 4 !== 0 ? `msrm needs channels divisible by 4 (got ${cfg.channels})` : undefined),
    twinMarker: 'dw',
  },
  /** MIMO-UNet's ResBlock, the paper's "Baseline" block. */
  res: {
    build: (x, channels, _cfg, name) => resBlock(x, channels, name),
    twinMarker: 'conv1',
  },
  /** A Res2Net block of constant width, with SE attention. */
  res2net: {
    build: (x, channels, cfg, name) => res2netBlock(x, channels, cfg.res2net, cfg.msrm.caMinHidden, name),
    unbuildable: (cfg) => (cfg.channels % cfg.res2net.scale !== 0 ? `res2net needs channels divisible by its scale ${cfg.res2net.scale} (got ${cfg.channels})` : undefined),
    twinMarker: 'pw1',
    fromTwinKeys: (keys, cfg) => ({ ...cfg, res2net: { ...cfg.res2net, scale: new Set(keys.map((k) => /^layers\.em1_b1_pw(\d+)\./.exec(k)?.[1]).filter((s) => s)).size } }),
  },
};

const BUILT_IN_SKIPS: Record<SkipFusion, SkipKind> = {
  /** The paper's dynamic feature fusion (softmax weights over the three scales). */
  dffm: {
    build: (encoders, level, channels, cfg, down) => dffm(encoders, level, channels, cfg.dffm, `dffm${level}`, down),
    twinMarker: 'dffm1_',
  },
  /** MIMO-UNet's asymmetric feature fusion. */
  aff: {
    build: (encoders, level, channels, _cfg, down) => aff(encoders, level, channels, `aff${level}`, down),
    twinMarker: 'aff1_',
  },
  /** A plain U-Net skip: the encoder's own level. */
  plain: {
    build: (encoders, level) => encoders[level - 1]!,
  },
};

const BLOCKS: Record<string, BlockKind> = { ...BUILT_IN_BLOCKS };
const SKIPS: Record<string, SkipKind> = { ...BUILT_IN_SKIPS };

export const blockKinds = (): string[] => Object.keys(BLOCKS);
export const skipKinds = (): string[] => Object.keys(SKIPS);

/** The block kind a config names (undefined for an unknown name: validateConfig reports it). */
export const blockKind = (name: string): BlockKind | undefined => (Object.hasOwn(BLOCKS, name) ? BLOCKS[name] : undefined);
export const skipKind = (name: string): SkipKind | undefined => (Object.hasOwn(SKIPS, name) ? SKIPS[name] : undefined);

/**
 * Adds a block kind at run time (an experiment's own block, without editing this file); a config
 * names it with `block: name as BlockType`. Names of existing kinds are refused. Returns the
 * function that removes it again.
 */
export function registerBlockKind(name: string, kind: BlockKind): () => void {
  if (blockKind(name)) throw new Error(`block kind ${name} exists`);
  BLOCKS[name] = kind;
  return () => void delete BLOCKS[name];
}
