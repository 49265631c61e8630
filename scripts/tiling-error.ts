/**
 * How far tiled inference is from whole-image inference for some weights and an image
 * (`node -r ts-node/register scripts/tiling-error.ts WEIGHTS IMAGE [TILE,OVERLAP ...]`):
 * max |Δ| and PSNR between the two, at full size (S1) and at ¼ (S3). docs/USAGE.md quotes it.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/backend';
import { readImage } from '../src/data/image';
import { restoreTiled } from '../src/infer/tile';
import { loadWeights } from '../src/infer/weights';
import { restore } from '../src/infer/restore';

async function difference(a: tf.Tensor, b: tf.Tensor): Promise<string> {
  const [max, mse] = tf.tidy(() => [tf.max(tf.abs(tf.sub(a, b))), tf.mean(tf.square(tf.sub(a, b)))]);
  const m = (await max!.data())[0]!;
  const e = (await mse!.data())[0]!;
  tf.dispose([max!, mse!]);
  return `max |Δ| ${m.toFixed(4)}, PSNR ${(10 * Math.log10(1 / e)).toFixed(1)} dB`;
}

async function main(): Promise<void> {
  const [weights, image, ...cases] = process.argv.slice(2);
  if (!weights || !image) throw new Error('usage: tiling-error.ts WEIGHTS IMAGE [TILE,OVERLAP ...]');
  await selectBackend({ backend: 'wasm' });
  const { model } = await loadWeights(weights);
  const img = await readImage(image);
  const whole = restore(model, img.tensor);
  for (const c of cases.length ? cases : ['128,32', '128,64', '96,32']) {
    const [tile, overlap] = c.split(',').map(Number) as [number, number];
    const t = await restoreTiled(model, img.tensor, { tile, overlap });
    console.log(`${img.width}×${img.height}, tiles ${tile}² overlapping ${overlap}: S1 ${await difference(t.s1, whole.s1)}; S3 ${await difference(t.s3, whole.s3)}`);
    tf.dispose([t.s1, t.s2, t.s3]);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`tiling-error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
