import type { Command } from 'commander';
import { DEFAULT_TILING, validateTiling } from '../infer/tile';
import type { Tiling } from '../infer/deblur';
import { loadWeights, type LoadedWeights } from '../infer/weights';
import { VARIANT_NAMES } from '../model/config';
import { requireVariant } from './model-options';
import { nonNegativeInt, positiveInt, startBackendOption } from './options';

export interface InferenceCliOptions {
  weights: string;
  variant?: string;
  backend?: string;
  tile?: number;
  overlap: number;
  tiling: boolean;
}

/** The options eval and deblur share: weights, backend, tiling. */
export function addInferenceOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--weights <dir>', 'weights folder (model.json), or a training run / checkpoint folder')
    .option('--variant <name>', `check that the weights are this variant (${VARIANT_NAMES.join(', ')})`)
    .option('--tile <px>', `run in tiles of this side (default: whole images up to 512×768 px, ${DEFAULT_TILING.tile}² tiles above)`, positiveInt)
    .option('--overlap <px>', 'tile overlap, cross-faded', nonNegativeInt, DEFAULT_TILING.overlap)
    .option('--no-tiling', 'always run whole images')
    .option('--backend <name>', 'auto, tensorflow, webgpu, wasm or cpu (default: $DEBLUR_BACKEND or auto)');
}

export function tilingOf(o: InferenceCliOptions): Tiling {
  if (!o.tiling) return 'none';
  if (o.tile === undefined) return 'auto';
  const t = { tile: o.tile, overlap: o.overlap };
  validateTiling(t);
  return t;
}

/** Starts the backend and loads (and checks) the weights. */
export async function prepareInference(o: InferenceCliOptions): Promise<LoadedWeights> {
  await startBackendOption(o.backend);
  const w = await loadWeights(o.weights);
  try {
    requireVariant(w.config, o.variant, o.weights);
  } catch (e) {
    w.model.dispose();
    throw e;
  }
  return w;
}
