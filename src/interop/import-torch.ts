import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../errors';
import { configDifference, TORCH_RESAMPLING, validateConfig, VARIANTS, type BlockType, type NetConfig, type SkipFusion } from '../model/config';
import { blockKind, blockKinds, skipKind, skipKinds } from '../model/parts';
import { buildNet } from '../model/net';
import type { TorchCheckpoint, TorchTensor } from './torch-checkpoint';
import { detectLayout, fromTorchPerm, labWeights, toTorchPerm, torchKey, type TorchLayout } from './torch-names';

/** What `import-torch --arch` accepts: MIMO-UNet (N = 8), MIMO-UNet+ (N = 20), or the lab's twin. */
export const TORCH_ARCHS = ['mimo-unet', 'mimo-unet-plus', 'twin'] as const;
export type TorchArch = (typeof TORCH_ARCHS)[number];

const OFFICIAL_BLOCKS: Readonly<Record<Exclude<TorchArch, 'twin'>, number>> = { 'mimo-unet': 8, 'mimo-unet-plus': 20 };

export interface ImportedNetwork {
  model: tf.LayersModel;
  config: NetConfig;
  layout: TorchLayout;
  /** The architecture name: mimo-unet, mimo-unet-plus, 'MIMO-UNet layout, N = 12', or twin. */
  arch: string;
  /** How the config was found: from the checkpoint's own record, or from its keys and shapes. */
  configFrom: 'checkpoint' | 'keys';
}

function shapeOf(byKey: Map<string, TorchTensor>, key: string, what: string): number[] {
  const t = byKey.get(key);
  if (!t) throw new UsageError(`${what}: no tensor ${key}`);
  return t.shape;
}

/** Distinct values of the first capture group of `re` over the keys. */
function distinct(keys: Iterable<string>, re: RegExp): Set<number> {
  const out = new Set<number>();
  for (const k of keys) {
    const m = re.exec(k);
    if (m) out.add(Number(m[1]));
  }
  return out;
}

function officialConfig(byKey: Map<string, TorchTensor>, arch: TorchArch | undefined, what: string): { config: NetConfig; arch: string } {
  if (arch === 'twin') throw new UsageError(`${what}: --arch twin, but its keys are in MIMO-UNet's official layout (Encoder.0.layers.…); use --arch mimo-unet or mimo-unet-plus`);
  const channels = shapeOf(byKey, 'feat_extract.0.main.0.weight', what)[0]!;
  const blocks = distinct(byKey.keys(), /^Encoder\.0\.layers\.(\d+)\./).size;
  const named = (Object.keys(OFFICIAL_BLOCKS) as (keyof typeof OFFICIAL_BLOCKS)[]).find((a) => OFFICIAL_BLOCKS[a] === blocks);
  if (arch !== undefined && OFFICIAL_BLOCKS[arch] !== blocks) {
    throw new UsageError(`${what}: --arch ${arch} has ${OFFICIAL_BLOCKS[arch]} ResBlocks per group, the checkpoint ${blocks}${named ? ` (it is ${named})` : ''}`);
  }
  const config: NetConfig = { ...VARIANTS.mimo, channels, blocks, resampling: { ...TORCH_RESAMPLING } };
  return { config, arch: named && channels === 32 ? named : `MIMO-UNet layout, C = ${channels}, N = ${blocks}` };
}

/**
 * A twin state_dict without the lab's record of its config: design, C and N from its keys, every
 * other setting the variant's default (the shapes are checked against them when the weights load).
 */
function inferTwinConfig(byKey: Map<string, TorchTensor>, what: string): NetConfig {
  const keys = [...byKey.keys()];
  const has = (prefix: string) => keys.some((k) => k.startsWith(`layers.${prefix}`));
  const channels = shapeOf(byKey, 'layers.em1_in.weight', what)[0]!;
  const blocks = distinct(keys, /^layers\.em1_b(\d+)_/).size;
  const block = blocks === 0 ? 'res' : blockKinds().find((b) => has(`em1_b1_${blockKind(b)!.twinMarker}`));
  if (!block) throw new UsageError(`${what}: twin layout, but its blocks are none the lab knows (no ${blockKinds().map((b) => `em1_b1_${blockKind(b)!.twinMarker}`).join(', ')})`);
  const skip = skipKinds().find((s) => skipKind(s)!.twinMarker === undefined || has(skipKind(s)!.twinMarker!))!;
  const base = Object.values(VARIANTS).find((v) => v.block === block && v.skip === skip) ?? VARIANTS.full;
  const config: NetConfig = { ...base, block: block as BlockType, skip: skip as SkipFusion, channels, blocks };
  return blockKind(block)!.fromTwinKeys?.(keys, config) ?? config;
}

/** The network a checkpoint holds: its config, layout and architecture name. */
export function describeCheckpoint(ckpt: TorchCheckpoint, arch: TorchArch | undefined, what: string): Omit<ImportedNetwork, 'model'> {
  const byKey = new Map(ckpt.tensors.map((t) => [t.key, t]));
  const layout = detectLayout([...byKey.keys()]);
  if (!layout) {
    const sample = [...byKey.keys()].slice(0, 3).join(', ');
    throw new UsageError(`${what}: neither MIMO-UNet's official layout nor the lab's twin layout (its first keys: ${sample})`);
  }
  if (layout === 'official') return { ...officialConfig(byKey, arch, what), layout, configFrom: 'keys' };
  if (arch !== undefined && arch !== 'twin') throw new UsageError(`${what}: --arch ${arch}, but its keys are in the lab's twin layout (layers.…); use --arch twin`);
  const recorded = ckpt.deblurLab?.config;
  if (recorded) {
    try {
      validateConfig(recorded);
    } catch (e) {
      throw new UsageError(`${what}: the config it records is not valid: ${(e as Error).message}`);
    }
    return { config: recorded, layout, arch: 'twin', configFrom: 'checkpoint' };
  }
  return { config: inferTwinConfig(byKey, what), layout, arch: 'twin', configFrom: 'keys' };
}

/**
 * Builds the lab's network for a checkpoint and loads every weight into it. Every tensor must land
 * in exactly one lab weight of the same size and every lab weight must be covered; anything else
 * is a UsageError naming the first mismatch.
 */
export function networkFromCheckpoint(ckpt: TorchCheckpoint, arch: TorchArch | undefined, what: string): ImportedNetwork {
  const described = describeCheckpoint(ckpt, arch, what);
  const byKey = new Map(ckpt.tensors.map((t) => [t.key, t]));
  const model = buildNet(described.config, { name: `imported_${described.layout}` });
  try {
    const used = new Set<string>();
    const perLayer = new Map<tf.layers.Layer, tf.Tensor[]>();
    for (const w of labWeights(model)) {
      const key = torchKey(w, described.layout);
      const t = key === undefined ? undefined : byKey.get(key);
      if (!key || !t) throw new UsageError(`${what}: no tensor for the lab's ${w.layer}/${w.kind}${key ? ` (expected ${key})` : ''}${described.configFrom === 'keys' ? '; the config was guessed from the keys: export with the lab (export-torch) to record it' : ''}`);
      const perm = fromTorchPerm(w);
      // tf.transpose(x, p) has shape p.map((axis) => x.shape[axis]).
      const torchShape = toTorchPerm(w)?.map((axis) => w.variable.shape[axis]!) ?? w.variable.shape;
      if (t.shape.join('×') !== torchShape.join('×')) {
        throw new UsageError(`${what}: ${key} is ${t.shape.join('×')}, the lab's ${w.layer}/${w.kind} needs ${torchShape.join('×')}`);
      }
      used.add(key);
      const value = tf.tidy(() => {
        const x = tf.tensor(t.values, t.shape);
        return perm ? tf.transpose(x, perm) : x;
      });
      const layer = model.getLayer(w.layer);
      perLayer.set(layer, [...(perLayer.get(layer) ?? []), value]);
    }
    const extra = [...byKey.keys()].filter((k) => !used.has(k));
    if (extra.length) throw new UsageError(`${what}: ${extra.length} tensor${extra.length > 1 ? 's' : ''} the network has no place for (${extra.slice(0, 3).join(', ')})`);
    for (const [layer, values] of perLayer) {
      layer.setWeights(values);
      tf.dispose(values);
    }
    return { model, ...described };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** For cards and messages: where a checkpoint's config and the variant it resembles differ. */
export function configNote(config: NetConfig): string {
  const variant = Object.entries(VARIANTS).find(([, v]) => v.block === config.block && v.skip === config.skip);
  if (!variant) return '';
  const diff = configDifference(variant[1], config);
  return diff ? `${variant[0]} with ${diff}` : variant[0];
}
