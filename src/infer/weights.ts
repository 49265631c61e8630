import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { UsageError } from '../errors';
import type { NetConfig } from '../model/config';
import { loadModel } from '../model/io';
import { configOf } from '../model/net';
import type { Network } from './restore';
import { maximNetwork } from '../peers/maxim';
import { carryFolderOf, loadCarryFolder } from '../train/carry';
import { CHECKPOINT, findCheckpoint } from '../train/checkpoint';

/** The network the project's main job and tour use by default (see its card.md). */
export const SHIPPED_WEIGHTS = 'weights/lite-canonical';

export interface LoadedWeights {
  model: tf.LayersModel;
  config: NetConfig;
  /** The folder the model.json came from. */
  dir: string;
}

/**
 * Loads a network for inference from a weights folder (model.json + shards, e.g. weights/<name>/),
 * a checkpoint folder, a training run folder (its newest complete checkpoint, else its carry-over:
 * all a clone has of a run that keeps its checkpoints on the machine), or a carry-over folder
 * (RUN/carry: the averaged weights in half precision). Every failure is a one-line UsageError that
 * names the folder.
 */
export async function loadWeights(dir: string): Promise<LoadedWeights> {
  if (!fs.existsSync(dir)) throw new UsageError(`--weights ${dir}: no such folder`);
  if (!fs.statSync(dir).isDirectory()) throw new UsageError(`--weights ${dir}: not a folder (give the folder that holds model.json)`);
  let modelDir = dir;
  if (!fs.existsSync(path.join(dir, 'model.json'))) {
    const ckpt = findCheckpoint(dir);
    if (ckpt) modelDir = ckpt;
    else if (fs.existsSync(path.join(dir, CHECKPOINT))) throw new UsageError(`--weights ${dir}: its checkpoint is incomplete or damaged`);
    else {
      const carry = carryFolderOf(dir);
      if (!carry) throw new UsageError(`--weights ${dir}: no model.json here, no checkpoint/ of a training run, and no carry-over`);
      const { model, meta } = loadCarryFolder(carry);
      return { model, config: meta.state.config, dir: carry };
    }
  }
  let model: tf.LayersModel;
  try {
    model = await loadModel(modelDir);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`--weights ${modelDir}: cannot load the model (${firstLine(e)})`);
  }
  let config: NetConfig;
  try {
    config = configOf(model);
  } catch {
    model.dispose();
    throw new UsageError(`--weights ${modelDir}: a tfjs model, but not a deblur-lab network (no config in its metadata)`);
  }
  return { model, config, dir: modelDir };
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0]!.slice(0, 200);
}

/** The peers `--weights` takes by name instead of a folder (optional installs, see src/peers/). */
export const PEERS = ['maxim'] as const;

export interface LoadedNetwork {
  model: Network;
  /** The lab's config; undefined for a peer. */
  config?: NetConfig;
  /** The weights folder, or the peer's name. */
  dir: string;
}

/** A weights folder (as loadWeights), or a peer by name: `maxim`. */
export async function loadNetwork(weights: string): Promise<LoadedNetwork> {
  if (weights === 'maxim' && !fs.existsSync(weights)) return { model: await maximNetwork(), dir: 'maxim' };
  return loadWeights(weights);
}
