/**
 * Test helper run as a child process: writes checkpoints to argv[2] in a loop, checkpoint k holding
 * weights, moments and step all equal to k, so a reader can tell whether what it finds is whole.
 * Prints "wrote k" after each one; runs until killed.
 */
import * as tf from '@tensorflow/tfjs';
import { startCpu } from '../../src/backend';
import { variantConfig } from '../../src/model/config';
import { buildNet } from '../../src/model/net';
import { writeCheckpoint, type TrainingState } from '../../src/train/checkpoint';

async function main(): Promise<void> {
  await startCpu();
  const out = process.argv[2]!;
  const model = buildNet(variantConfig('lite', { channels: 8, blocks: 1 }), { seed: 1 });
  const state = (k: number): TrainingState => ({
    step: k,
    plannedSteps: 1e9,
    epoch: 0,
    schedule: { kind: 'constant', initial: 1e-4 },
    adam: { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
    lambda: 0.1,
    config: variantConfig('lite', { channels: 8, blocks: 1 }),
    data: { root: 'none', layout: 'pairs', description: 'none', pairs: 1, fingerprint: '0' },
    pipeline: { seed: 0, batch: 1, crop: 16, flip: true },
    initSeed: 1,
    backend: 'cpu',
    seconds: k,
  });
  for (let k = 1; ; k++) {
    model.setWeights(model.getWeights().map((w) => tf.fill(w.shape, k)));
    const sizes = model.trainableWeights.map((w) => (w.shape as number[]).reduce((a, b) => a * b, 1));
    const moments = sizes.map((n) => new Float32Array(n).fill(k));
    await writeCheckpoint(out, model, { iterations: k, m: moments, v: moments }, state(k));
    process.stdout.write(`wrote ${k}\n`);
  }
}

if (require.main === module) void main();
