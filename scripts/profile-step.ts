/**
 * Where a training step's time goes, kernel by kernel: `npm run profile:step -- --variant full
 * --batch 4 --crop 128 [--backend wasm] [--top 25] [--by-shape]`. Runs one warm-up step, then profiles one
 * step with tf.profile and prints the kernels by total time, with the wall time and wasm heap.
 */
import * as tf from '@tensorflow/tfjs';
import { Command } from 'commander';
import { parseBackendName, selectBackend, wasmHeapBytes } from '../src/backend';
import { positiveInt } from '../src/cli/options';
import { UsageError } from '../src/errors';
import { FFT_WEIGHT } from '../src/loss';
import { variantConfig } from '../src/model/config';
import { buildNet } from '../src/model/net';
import { imagePyramid } from '../src/pyramid';
import { ScheduledAdam } from '../src/train/adam';
import { assertPlanFits, planHeap, trainingBytesPerPixel } from '../src/train/memory';
import { optimizerStep } from '../src/train/step';
import { runMain } from '../src/cli/run-main';

async function main(): Promise<void> {
  const o = new Command('profile-step')
    .option('--variant <name>', 'network variant', 'full')
    .option('--batch <n>', 'images per step', positiveInt, 1)
    .option('--crop <px>', 'square crop side, a multiple of 4', positiveInt, 128)
    .option('--backend <name>', 'tfjs backend', 'wasm')
    .option('--top <k>', 'kernels to list', positiveInt, 25)
    .option('--by-shape', 'split each kernel by the shapes of its inputs')
    .parse(process.argv)
    .opts<{ variant: string; batch: number; crop: number; backend: string; top: number; byShape?: boolean }>();
  if (o.crop % 4) throw new UsageError(`--crop must be a multiple of 4 (got ${o.crop})`);
  await selectBackend({ backend: parseBackendName(o.backend, '--backend') });
  const model = buildNet(variantConfig(o.variant), { seed: 1 });
  let memory = '';
  if (tf.getBackend() === 'wasm') {
    // Probed on a fresh backend, as the training command does (after steps the probe reads higher).
    const perPixel = await trainingBytesPerPixel(model);
    const plan = planHeap(perPixel, o.batch, o.crop);
    memory = `memory: ${(perPixel / 1024).toFixed(1)} KiB per input pixel (64² probe); planned heap ${(plan.bytes / 2 ** 20).toFixed(0)} MiB; largest batch at ${o.crop}²: ${plan.maxBatch}, at 256²: ${planHeap(perPixel, 1, 256).maxBatch}; largest crop at batch ${o.batch}: ${plan.maxCrop}`;
    assertPlanFits(plan, o.batch, o.crop, `${o.variant} training`);
  }
  const sharp = tf.randomUniform([o.batch, o.crop, o.crop, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  const targets = imagePyramid(sharp);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = new ScheduledAdam();
  optimizer.setLearningRate(1e-4);
  const step = () => optimizerStep({ model, variables, optimizer, blur: sharp, targets, lambda: FFT_WEIGHT });
  await step();
  const t0 = performance.now();
  const info = await tf.profile(async () => {
    await step();
  });
  const wall = performance.now() - t0;
  const byName = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const shapes = k.inputShapes.map((s) => `[${s ?? ''}]`);
    const key = o.byShape ? `${k.name} ${shapes.length > 3 ? `${shapes.slice(0, 3).join(' ')} … (${shapes.length} inputs)` : shapes.join(' ')}` : k.name;
    const e = byName.get(key) ?? { ms: 0, calls: 0 };
    e.ms += k.kernelTimeMs as number;
    e.calls++;
    byName.set(key, e);
  }
  const heap = wasmHeapBytes();
  console.log(`${o.variant} ${o.batch}×${o.crop}² on ${tf.getBackend()}: step ${(wall / 1000).toFixed(2)} s (profiled)${heap ? `, wasm heap ${(heap / 2 ** 20).toFixed(0)} MiB` : ''}`);
  if (memory) console.log(memory);
  const width = Math.max(38, ...[...byName.keys()].map((k) => k.length + 2));
  console.log('kernel'.padEnd(width) + 'ms'.padStart(8) + 'calls'.padStart(8));
  for (const [name, e] of [...byName.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, o.top)) {
    console.log(name.padEnd(width) + e.ms.toFixed(0).padStart(8) + String(e.calls).padStart(8));
  }
}

runMain('profile:step', main);
