import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../errors';
import { departuresFromTorch, resamplingOf, type NetConfig } from '../model/config';
import type { TorchCheckpoint } from './torch-checkpoint';
import { hasOfficialDesign, labWeights, toTorchPerm, torchKey, type TorchLayout } from './torch-names';

/**
 * A model's weights as a PyTorch state_dict in `layout`, with the lab's record of its config (so
 * that import-torch rebuilds exactly this network). The official layout takes networks of
 * MIMO-UNet's design that compute with PyTorch's resampling only: MIMO-UNet's own code would run
 * any other one as a different function.
 */
export async function checkpointFromNetwork(model: tf.LayersModel, config: NetConfig, layout: TorchLayout, source: string): Promise<TorchCheckpoint> {
  if (layout === 'official') {
    if (!hasOfficialDesign(config)) throw new UsageError(`--layout official names MIMO-UNet's modules only (ResBlocks + AFF); this network has ${config.block} blocks and ${config.skip} skips: use --layout twin`);
    const r = resamplingOf(config);
    const differs = departuresFromTorch(config);
    if (differs.length) {
      throw new UsageError(
        `--layout official: this network computes with the lab's resampling (${differs.map((k) => `${k} ${r[k]}`).join(', ')}), MIMO-UNet's code with PyTorch's; ` +
          'there it would compute a different function. Use --layout twin (the lab\'s PyTorch twin computes the same function)',
      );
    }
  }
  const tensors = [];
  for (const w of labWeights(model)) {
    const key = torchKey(w, layout);
    if (!key) throw new UsageError(`--layout ${layout} has no name for ${w.layer}/${w.kind}`);
    const perm = toTorchPerm(w);
    const t = perm ? tf.transpose(w.variable.read(), perm) : w.variable.read().clone();
    const values = (await t.data()) as Float32Array;
    tensors.push({ key, shape: t.shape.slice(), values });
    t.dispose();
  }
  return { tensors, deblurLab: { config, layout, source, exportedBy: 'deblur-lab export-torch' }, wrapper: 'model' };
}
