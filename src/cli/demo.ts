import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { parseBackendName, selectBackend } from '../backend';
import { readImage, writePng } from '../data/image';
import { VARIANT_NAMES, variantConfig } from '../model/config';
import { buildNet } from '../model/net';
import { restore } from '../model/run';
import { summarize } from '../model/summary';
import { describeSummary } from './summary';
import { nonNegativeInt } from './options';

interface DemoOptions {
  variant: string;
  image: string;
  out: string;
  backend?: string;
  seed: number;
}

/**
 * The main job for now: pick a backend, summarise the network, and run one forward pass on a
 * sample image, writing the three output scales. No trained checkpoint ships yet, so the weights
 * are a seeded initialisation: this checks the pipeline end to end, not deblurring quality.
 */
async function demo(o: DemoOptions): Promise<void> {
  const cfg = variantConfig(o.variant);
  await selectBackend(o.backend !== undefined ? { backend: parseBackendName(o.backend, '--backend') } : {});
  console.log(describeSummary(o.variant, summarize(cfg)));

  const img = await readImage(o.image);
  console.log(`\ninput ${o.image}: ${img.width}×${img.height}${img.conversions.length ? ` (${img.conversions.join(', ')})` : ''}`);
  const model = buildNet(cfg, { seed: o.seed });
  console.log(`weights: untrained, seeded (${o.seed}); no checkpoint ships yet, so expect output ≈ input`);
  const warm = tf.zeros([1, 8, 8, 3]);
  const w = restore(model, warm); // warm-up, so the timing below is the pass itself
  tf.dispose([warm, w.s1, w.s2, w.s3]);

  const start = performance.now();
  const r = restore(model, img.tensor);
  const change = tf.tidy(() => tf.mean(tf.abs(tf.sub(r.s1, img.tensor))));
  const meanChange = (await change.data())[0]!;
  const ms = performance.now() - start;
  fs.mkdirSync(o.out, { recursive: true });
  const base = path.basename(o.image).replace(/\.[^.]+$/, '');
  const written: string[] = [];
  for (const [name, t] of [['S1', r.s1], ['S2', r.s2], ['S3', r.s3]] as const) {
    const file = path.join(o.out, `${base}_${name}.png`);
    await writePng(file, t);
    written.push(`${file} (${t.shape[2]}×${t.shape[1]})`);
  }
  console.log(`forward pass: ${ms.toFixed(0)} ms; mean |S1 − input| = ${meanChange.toExponential(2)}`);
  console.log(`wrote ${written.join(', ')}`);
  tf.dispose([img.tensor, r.s1, r.s2, r.s3, change]);
  model.dispose();
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the main job: backend report, network summary, one forward pass on a sample image')
    .option('--variant <name>', `one of ${VARIANT_NAMES.join(', ')}`, 'full')
    .option('--image <file>', 'PNG or JPEG to run on', 'data/sample/real/clock_motion.png')
    .option('--out <dir>', 'where to write the output scales', 'build/demo')
    .option('--backend <name>', 'auto, tensorflow, webgpu, wasm or cpu (default: $DEBLUR_BACKEND or auto)')
    .option('--seed <n>', 'seed of the initial weights', nonNegativeInt, 1)
    .action(demo);
}
