import * as tf from '@tensorflow/tfjs';
import type { NetConfig } from './config';
import { buildNet } from './net';

export interface ModuleCost {
  /** Module name: the first part of its layer names (em1, scm2, fam2, dffm1, dm3, ...). */
  module: string;
  params: number;
  /** Multiply-adds of its convolutions and dense layers for one image of the given size. */
  macs: number;
}

export interface NetSummary {
  config: NetConfig;
  height: number;
  width: number;
  params: number;
  macs: number;
  modules: ModuleCost[];
}

type Shape = (number | null)[];

/**
 * Multiply-adds of one layer, counted as thop/ptflops do: convolutions and dense layers only
 * (pooling, additions and attention products are a rounding error next to them).
 */
export function layerMacs(layer: tf.layers.Layer): number {
  const cls = layer.getClassName();
  if (!['Conv2D', 'Conv2DTranspose', 'DepthwiseConv2D', 'Dense'].includes(cls)) return 0;
  const cfg = layer.getConfig() as { kernelSize?: number | number[]; filters?: number; units?: number; depthMultiplier?: number };
  // Layer has no inputShape getter; its (single) inbound node records the shapes it was called on.
  const node = layer.inboundNodes[0]!;
  const single = (s: Shape | Shape[]): Shape => (Array.isArray(s[0]) ? (s[0] as Shape) : (s as Shape));
  const input = single(node.inputShapes);
  const output = single(node.outputShapes);
  const k = Array.isArray(cfg.kernelSize) ? cfg.kernelSize : [cfg.kernelSize ?? 1, cfg.kernelSize ?? 1];
  const taps = k[0]! * k[1]!;
  const hw = (s: Shape) => (s[1] as number) * (s[2] as number);
  const inC = input[input.length - 1] as number;
  switch (cls) {
    case 'Conv2D':
      return hw(output) * taps * inC * cfg.filters!;
    case 'Conv2DTranspose':
      return hw(input) * taps * inC * cfg.filters!; // each input pixel scatters one kernel
    case 'DepthwiseConv2D':
      return hw(output) * taps * inC * (cfg.depthMultiplier ?? 1);
    default: // Dense
      return inC * cfg.units!;
  }
}

/** Parameters and multiply-adds per module and in total, for one H×W image (default 256×256). */
export function summarize(cfg: NetConfig, height = 256, width = 256): NetSummary {
  const model = buildNet(cfg, { height, width });
  try {
    const modules = new Map<string, ModuleCost>();
    for (const layer of model.layers) {
      const module = layer.name.split('_')[0]!;
      const entry = modules.get(module) ?? { module, params: 0, macs: 0 };
      entry.params += layer.countParams();
      entry.macs += layerMacs(layer);
      modules.set(module, entry);
    }
    const list = [...modules.values()].filter((m) => m.params > 0 || m.macs > 0);
    return {
      config: cfg,
      height,
      width,
      params: list.reduce((a, m) => a + m.params, 0),
      macs: list.reduce((a, m) => a + m.macs, 0),
      modules: list,
    };
  } finally {
    model.dispose();
  }
}

/** What each module-name prefix is, for tables and charts. */
export const MODULE_KINDS: Readonly<Record<string, string>> = {
  em: 'encoder blocks (+ head conv)',
  dm: 'decoder blocks (+ up/out convs)',
  scm: 'SCM (shallow conv of the ½, ¼ input)',
  fam: 'FAM (fuses SCM into the encoder)',
  dffm: 'DFFM skip fusion',
  aff: 'AFF skip fusion (MIMO-UNet)',
};

/** `em2` → { kind: 'em', level: 2 }: module names are a kind and a level (1 = full resolution). */
export function splitModuleName(module: string): { kind: string; level: number } {
  const m = /^([a-z]+)(\d)$/.exec(module);
  if (!m) throw new Error(`splitModuleName: "${module}" is not <kind><level>`);
  return { kind: m[1]!, level: Number(m[2]) };
}

/** Params and MACs summed per module kind and per level (1 = full, 2 = ½, 3 = ¼ resolution). */
export function costByKindAndLevel(s: NetSummary): { kind: string; level: number; params: number; macs: number }[] {
  return s.modules.map((m) => ({ ...splitModuleName(m.module), params: m.params, macs: m.macs }));
}
