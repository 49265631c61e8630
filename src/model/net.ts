import * as tf from '@tensorflow/tfjs';
import { resamplingOf, validateConfig, type NetConfig } from './config';
import { decoder } from './decoder';
import { encoder } from './encoder';
import { downscale, withSeededInit } from './layers';

export interface BuildOptions {
  /** Fix the input size (for shape inference and multiply-add counts); default: any size. */
  height?: number;
  width?: number;
  /** Model name stored in model.json. */
  name?: string;
  /** Seed for the initial weights (same config + seed → same weights); default: unseeded. */
  seed?: number;
}

/**
 * The three-scale coarse-to-fine network (MIMO-UNet lineage): one input, the blurred image B1
 * [batch, H, W, 3] in [0, 1]; outputs [S3, S2, S1] at ¼, ½ and full size, each a predicted residual
 * plus the blurred input at that scale. H and W must be multiples of 4 (`restore()` in run.ts
 * pads any other size and crops back).
 */
export function buildNet(cfg: NetConfig, opts: BuildOptions = {}): tf.LayersModel {
  validateConfig(cfg);
  const model = withSeededInit(opts.seed, () => {
    const b1 = tf.input({ shape: [opts.height ?? null, opts.width ?? null, 3], name: 'B1' });
    const pyramid = resamplingOf(cfg).pyramid;
    const b2 = downscale(b1, 2, 'B2', pyramid);
    const b3 = downscale(b2, 2, 'B3', pyramid);
    const encoders = encoder(b1, b2, b3, cfg);
    const outputs = decoder(encoders, [b1, b2, b3], cfg);
    return tf.model({ inputs: b1, outputs, name: opts.name ?? `deblur_${cfg.block}_${cfg.skip}` });
  });
  model.setUserDefinedMetadata({ deblurLab: { config: cfg } });
  return model;
}

/** The NetConfig a model was built with (stored in its metadata, so it survives save/load). */
export function configOf(model: tf.LayersModel): NetConfig {
  const meta = model.getUserDefinedMetadata() as { deblurLab?: { config?: NetConfig } } | undefined;
  const cfg = meta?.deblurLab?.config;
  if (!cfg) throw new Error(`model ${model.name} carries no deblur-lab config in its metadata`);
  return cfg;
}
