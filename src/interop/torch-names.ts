import type * as tf from '@tensorflow/tfjs';
import type { NetConfig } from '../model/config';

/**
 * Names and memory layouts of the lab's weights in PyTorch state_dicts, both ways.
 *
 * Two layouts:
 *  - 'twin': python/deblur_twin/torch_twin.py's, `layers.<lab layer name>.weight|bias`, for every variant;
 *  - 'official': MIMO-UNet's official code (Cho et al. 2021), `Encoder.0.layers.3.main.1.main.0.weight`,
 *    for networks of MIMO-UNet's design (ResBlocks + AFF), any width and depth.
 */
export type TorchLayout = 'twin' | 'official';

/** One lab weight: its layer, tfjs class and kind, as tfjs stores it. */
export interface LabWeight {
  layer: string;
  cls: string;
  /** 'kernel', 'bias' or 'depthwise_kernel'. */
  kind: string;
  variable: tf.LayerVariable;
}

/** Every weight of a model, in the order model.layers and layer.weights list them. */
export function labWeights(model: tf.LayersModel): LabWeight[] {
  const out: LabWeight[] = [];
  for (const layer of model.layers) {
    for (const variable of layer.weights) {
      // tfjs names weights `<layer>/<kind>`, with `_N` appended when a name was taken before.
      const kind = variable.name.split('/').pop()!.replace(/_\d+$/, '');
      out.push({ layer: layer.name, cls: layer.getClassName(), kind, variable });
    }
  }
  return out;
}

/**
 * The axis permutation that takes a tfjs weight to PyTorch's layout (tf.transpose(x, perm)):
 * Conv2D [kh, kw, in, out] → [out, in, kh, kw]; Conv2DTranspose [kh, kw, out, in] → [in, out, kh, kw];
 * DepthwiseConv2D [kh, kw, C, 1] → [C, 1, kh, kw] (Conv2d with groups = C); Dense [in, out] → [out, in].
 */
export function toTorchPerm(w: Pick<LabWeight, 'cls' | 'kind'>): number[] | undefined {
  if (w.kind === 'bias') return undefined;
  if (w.kind === 'depthwise_kernel') return [2, 3, 0, 1];
  if (w.cls === 'Dense') return [1, 0];
  return [3, 2, 0, 1]; // Conv2D and Conv2DTranspose alike
}

/** The inverse permutation: PyTorch's layout → tfjs's. */
export function fromTorchPerm(w: Pick<LabWeight, 'cls' | 'kind'>): number[] | undefined {
  const p = toTorchPerm(w);
  if (!p) return undefined;
  const inv = new Array<number>(p.length);
  p.forEach((axis, i) => (inv[axis] = i));
  return inv;
}

/** Whether a config has MIMO-UNet's design, the only one the official layout names. */
export function hasOfficialDesign(cfg: Pick<NetConfig, 'block' | 'skip'>): boolean {
  return cfg.block === 'res' && cfg.skip === 'aff';
}

// MIMO-UNet's modules that hold one BasicConv each, by the lab's layer name.
const OFFICIAL_FIXED: Readonly<Record<string, string>> = {
  em1_in: 'feat_extract.0',
  em2_down: 'feat_extract.1',
  em3_down: 'feat_extract.2',
  dm3_up: 'feat_extract.3',
  dm2_up: 'feat_extract.4',
  dm1_out: 'feat_extract.5',
  dm2_in: 'Convs.0',
  dm1_in: 'Convs.1',
  dm3_out: 'ConvsOut.0',
  dm2_out: 'ConvsOut.1',
  // The official code numbers SCM and FAM from the coarsest level: SCM1/FAM1 feed level 3.
  scm3_out: 'SCM1.conv',
  scm2_out: 'SCM2.conv',
  fam3_merge: 'FAM1.merge',
  fam2_merge: 'FAM2.merge',
};

/** The official BasicConv module path of a lab layer (MIMO-UNet design), or undefined. */
export function officialModule(layer: string): string | undefined {
  const fixed = OFFICIAL_FIXED[layer];
  if (fixed) return fixed;
  let m = /^(em|dm)([123])_b(\d+)_conv([12])$/.exec(layer);
  if (m) {
    const level = Number(m[2]);
    // Encoder.0 is level 1; Decoder.0 is level 3 (the decoder runs coarse to fine).
    const group = m[1] === 'em' ? `Encoder.${level - 1}` : `Decoder.${3 - level}`;
    return `${group}.layers.${Number(m[3]) - 1}.main.${Number(m[4]) - 1}`;
  }
  m = /^scm([23])_conv([1-4])$/.exec(layer);
  if (m) return `SCM${m[1] === '3' ? 1 : 2}.main.${Number(m[2]) - 1}`;
  m = /^aff([12])_conv([12])$/.exec(layer);
  if (m) return `AFFs.${Number(m[1]) - 1}.conv.${Number(m[2]) - 1}`;
  return undefined;
}

/** A lab weight's state_dict key in a layout; undefined where the layout has no name for it. */
export function torchKey(w: Pick<LabWeight, 'layer' | 'kind'>, layout: TorchLayout): string | undefined {
  const param = w.kind === 'bias' ? 'bias' : 'weight';
  if (layout === 'twin') return `layers.${w.layer}.${param}`;
  const module = officialModule(w.layer);
  return module === undefined ? undefined : `${module}.main.0.${param}`;
}

/** The layout a state_dict's keys are in, or undefined when neither. */
export function detectLayout(keys: readonly string[]): TorchLayout | undefined {
  if (keys.some((k) => k.startsWith('Encoder.0.layers.')) && keys.some((k) => k.startsWith('feat_extract.'))) return 'official';
  if (keys.length > 0 && keys.every((k) => k.startsWith('layers.'))) return 'twin';
  return undefined;
}
