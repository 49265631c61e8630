import type { Command } from 'commander';
import { DEFAULT_TILING, validateTiling } from '../infer/tile';
import type { Tiling } from '../infer/deblur';
import { loadNetwork, type LoadedNetwork } from '../infer/weights';
import { UsageError } from '../errors';
import { VARIANT_NAMES } from '../model/config';
import { MAXIM_AUTO_TILING } from '../peers/maxim';
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
    .requiredOption('--weights <dir>', 'weights folder (model.json), a training run / checkpoint folder, or maxim (a peer: npm run setup -- --peers)')
    .option('--variant <name>', `check that the weights are this variant (${VARIANT_NAMES.join(', ')})`)
    .option('--tile <px>', `run in tiles of this side (default: the lab's networks run whole images up to 1280×720 px on wasm with the native kernels, 512×768 px elsewhere, and ${DEFAULT_TILING.tile}² tiles above; MAXIM up to ${MAXIM_AUTO_TILING.tiles.tile}², and ${MAXIM_AUTO_TILING.tiles.tile}² tiles above)`, positiveInt)
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
export async function prepareInference(o: InferenceCliOptions): Promise<LoadedNetwork> {
  await startBackendOption(o.backend);
  const w = await loadNetwork(o.weights);
  try {
    if (w.config === undefined && o.variant !== undefined) throw new UsageError(`--variant checks the lab's networks; ${o.weights} is a peer`);
    if (w.config !== undefined) requireVariant(w.config, o.variant, o.weights);
  } catch (e) {
    w.model.dispose();
    throw e;
  }
  return w;
}
