import { UsageError } from '../errors';
import { blockKind, blockKinds, skipKind, skipKinds, type BlockType, type SkipFusion } from './parts';

export type { BlockType, SkipFusion } from './parts';

/**
 * Where the network's resampling and stride-2 padding follow the lab's conventions or PyTorch's.
 * The lab's own networks leave it out (= LAB_RESAMPLING); networks imported from PyTorch
 * checkpoints (MIMO-UNet's official ones) carry TORCH_RESAMPLING, so that they compute exactly
 * what PyTorch computes. Same weights either way: these are not layers, only how they are applied.
 */
export interface Resampling {
  /** B2 and B3 from B1: 2×2 'box' mean (the lab), or 'nearest' (pixel 2i, as PyTorch's F.interpolate(x, scale_factor=0.5)). */
  pyramid: 'box' | 'nearest';
  /** How a skip brings a finer encoder level down: 'box' mean (the lab), or 'nearest' (MIMO-UNet's AFF inputs). */
  skipDown: 'box' | 'nearest';
  /** Stride-2 convs: 'same' (tfjs: on an even size 0 rows before, 1 after) or 'symmetric' (PyTorch's padding=1: 1 on each side). */
  stridePadding: 'same' | 'symmetric';
}

export const LAB_RESAMPLING: Readonly<Resampling> = { pyramid: 'box', skipDown: 'box', stridePadding: 'same' };
export const TORCH_RESAMPLING: Readonly<Resampling> = { pyramid: 'nearest', skipDown: 'nearest', stridePadding: 'symmetric' };

/** The resampling settings in which a config departs from PyTorch's (empty: it computes as PyTorch does). */
export function departuresFromTorch(cfg: Pick<NetConfig, 'resampling'>): (keyof Resampling)[] {
  const r = resamplingOf(cfg);
  return (Object.keys(TORCH_RESAMPLING) as (keyof Resampling)[]).filter((k) => r[k] !== TORCH_RESAMPLING[k]);
}

/** A config's resampling conventions (absent: the lab's). */
export function resamplingOf(cfg: Pick<NetConfig, 'resampling'>): Resampling {
  return { ...LAB_RESAMPLING, ...cfg.resampling };
}

export interface NetConfig {
  /** Base width C; levels 1, 2, 3 have C, 2C, 4C channels. */
  channels: number;
  /** Blocks per encoder/decoder group (N; 8 in the paper and MIMO-UNet). */
  blocks: number;
  /** Feature block of every encoder/decoder group (the table in parts.ts). */
  block: BlockType;
  /** How encoder features reach the decoder (the table in parts.ts). */
  skip: SkipFusion;
  msrm: {
    /** Channel-attention reduction ratio r. The paper does not say; RCAN-like. */
    caReduction: number;
    /** CA hidden width = max(C/r, caMinHidden): a 1- or 2-unit ReLU bottleneck dies easily at small C. */
    caMinHidden: number;
    /** ReLU after the depthwise-separable conv, before the split. The paper does not say. */
    reluAfterSeparable: boolean;
    /** ReLU after each branch conv y_k. The paper does not say; Res2Net has one. */
    reluAfterBranches: boolean;
  };
  res2net: {
    /** Scale s: number of splits (Res2Net paper: 4). Width w = C / s. */
    scale: number;
    /** SE reduction ratio (Res2Net/SENet: 16); hidden width ≥ msrm.caMinHidden too. */
    seReduction: number;
  };
  dffm: {
    /** Attention hidden width = max(channels / reduction, minHidden), as in SKNet's d = max(C/r, L). */
    reduction: number;
    minHidden: number;
  };
  /** PyTorch's conventions for imported networks; absent in the lab's own (see Resampling). */
  resampling?: Resampling;
}

export const VARIANT_NAMES = ['full', 'baseline', 'dffm', 'mimo', 'lite'] as const;
export type VariantName = (typeof VARIANT_NAMES)[number];

const DEFAULTS: Omit<NetConfig, 'channels' | 'blocks' | 'block' | 'skip'> = {
  msrm: { caReduction: 8, caMinHidden: 4, reluAfterSeparable: true, reluAfterBranches: true },
  res2net: { scale: 4, seReduction: 16 },
  dffm: { reduction: 4, minHidden: 8 },
};

/** The named variants: the paper's network, its ablation rungs, MIMO-UNet, and a CPU-sized one. */
export const VARIANTS: Record<VariantName, NetConfig> = {
  /** The paper: MSRM blocks + DFFM skips, C = 32, N = 8. */
  full: { ...DEFAULTS, channels: 32, blocks: 8, block: 'msrm', skip: 'dffm' },
  /** Paper table 2 "Baseline": MIMO-UNet's ResBlocks with plain U-Net skips. */
  baseline: { ...DEFAULTS, channels: 32, blocks: 8, block: 'res', skip: 'plain' },
  /** Paper table 2 "Baseline + DFFM". */
  dffm: { ...DEFAULTS, channels: 32, blocks: 8, block: 'res', skip: 'dffm' },
  /** MIMO-UNet (Cho et al. 2021): ResBlocks + AFF; 6,807,171 parameters. */
  mimo: { ...DEFAULTS, channels: 32, blocks: 8, block: 'res', skip: 'aff' },
  /** The paper's network narrowed and shortened so that it trains on a 2-core CPU. */
  lite: { ...DEFAULTS, channels: 16, blocks: 2, block: 'msrm', skip: 'dffm' },
};

export function isVariantName(v: string): v is VariantName {
  return (VARIANT_NAMES as readonly string[]).includes(v);
}

/** The variant whose design (block and skip) a config has, whatever its width and depth: `full` for MSRM + DFFM. */
export function designOf(cfg: Pick<NetConfig, 'block' | 'skip'>): VariantName | undefined {
  return VARIANT_NAMES.find((v) => VARIANTS[v].block === cfg.block && VARIANTS[v].skip === cfg.skip);
}

/** A variant's config, optionally with C and N overridden; validated. */
export function variantConfig(name: string, overrides: { channels?: number; blocks?: number } = {}): NetConfig {
  if (!isVariantName(name)) throw new UsageError(`unknown variant '${name}' (choose ${VARIANT_NAMES.join(', ')})`);
  const base = VARIANTS[name];
  const cfg: NetConfig = { ...base, channels: overrides.channels ?? base.channels, blocks: overrides.blocks ?? base.blocks };
  validateConfig(cfg);
  return cfg;
}

const orList = (names: readonly string[]): string => `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;

/** Throws a UsageError naming the first impossible setting. */
export function validateConfig(cfg: NetConfig): void {
  const intAtLeast = (v: number, min: number, what: string) => {
    if (!Number.isInteger(v) || v < min) throw new UsageError(`${what} must be an integer ≥ ${min} (got ${v})`);
  };
  intAtLeast(cfg.channels, 4, 'channels');
  intAtLeast(cfg.blocks, 0, 'blocks');
  const block = blockKind(cfg.block);
  if (!block) throw new UsageError(`block must be ${orList(blockKinds())} (got ${cfg.block})`);
  if (!skipKind(cfg.skip)) throw new UsageError(`skip must be ${orList(skipKinds())} (got ${cfg.skip})`);
  const why = block.unbuildable?.(cfg);
  if (why) throw new UsageError(why);
  intAtLeast(cfg.msrm.caReduction, 1, 'msrm.caReduction');
  intAtLeast(cfg.msrm.caMinHidden, 1, 'msrm.caMinHidden');
  intAtLeast(cfg.res2net.scale, 2, 'res2net.scale');
  intAtLeast(cfg.res2net.seReduction, 1, 'res2net.seReduction');
  intAtLeast(cfg.dffm.reduction, 1, 'dffm.reduction');
  intAtLeast(cfg.dffm.minHidden, 1, 'dffm.minHidden');
  if (cfg.resampling !== undefined) {
    if (typeof cfg.resampling !== 'object' || cfg.resampling === null) throw new UsageError('resampling must be an object, e.g. { "pyramid": "nearest" }');
    const r = cfg.resampling as unknown as Record<string, unknown>;
    const allowed: Record<keyof Resampling, readonly string[]> = { pyramid: ['box', 'nearest'], skipDown: ['box', 'nearest'], stridePadding: ['same', 'symmetric'] };
    for (const k of Object.keys(r)) {
      const values = allowed[k as keyof Resampling];
      if (!values) throw new UsageError(`unknown field resampling.${k} (known: ${Object.keys(allowed).join(', ')})`);
      if (!values.includes(r[k] as string)) throw new UsageError(`resampling.${k} must be ${values.join(' or ')} (got ${JSON.stringify(r[k])})`);
    }
  }
}

/** Where two configs differ, as "channels 16 vs 32, blocks 2 vs 8"; '' when equal. */
export function configDifference(a: NetConfig, b: NetConfig): string {
  const flat = (c: NetConfig): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(c)) {
      if (typeof v === 'object' && v !== null) for (const [k2, v2] of Object.entries(v)) out[`${k}.${k2}`] = v2;
      else out[k] = v;
    }
    return out;
  };
  // A config without `resampling` has the lab's: equal to one that spells it out.
  const fa = flat({ ...a, resampling: resamplingOf(a) });
  const fb = flat({ ...b, resampling: resamplingOf(b) });
  return [...new Set([...Object.keys(fa), ...Object.keys(fb)])]
    .filter((k) => fa[k] !== fb[k])
    .map((k) => `${k} ${String(fa[k])} vs ${String(fb[k])}`)
    .join(', ');
}

/**
 * A network from a JSON spec: a NetConfig or part of one, laid over the variant it names
 * (`"variant": "lite"`, default `full`), e.g. `{ "variant": "lite", "channels": 24, "msrm":
 * { "caReduction": 4 } }`. A spec that names only a variant is that variant.
 */
export function configFromSpec(json: unknown): { config: NetConfig; variant?: VariantName } {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new UsageError('expected a JSON object');
  const { variant = 'full', ...fields } = json as Record<string, unknown>;
  if (typeof variant !== 'string' || !isVariantName(variant)) throw new UsageError(`unknown variant ${JSON.stringify(variant)}`);
  const base = VARIANTS[variant] as unknown as Record<string, unknown>;
  const known = new Set([...Object.keys(base), 'resampling']);
  const unknown = Object.keys(fields).filter((k) => !known.has(k));
  if (unknown.length) throw new UsageError(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  if (Object.keys(fields).length === 0) return { config: variantConfig(variant), variant };
  const merged: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(fields)) {
    const b = k === 'resampling' ? LAB_RESAMPLING : base[k];
    merged[k] = typeof b === 'object' && b !== null && typeof v === 'object' && v !== null ? { ...b, ...v } : v;
  }
  const config = merged as unknown as NetConfig;
  validateConfig(config);
  return { config };
}
