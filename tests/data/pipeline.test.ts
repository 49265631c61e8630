import * as assert from 'uvu/assert';
import { test } from 'uvu';
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readPairsFolder } from '../../src/data/pairs';
import { readRaster } from '../../src/data/image';
import { disposeBatch, TrainingPipeline } from '../../src/data/pipeline';
import type { ImagePair } from '../../src/data/dataset';
import { fixtureImage } from './fixtures';
import { rejectsWithUsage, startBackendForTest } from '../helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pipeline-'));
let pairs: ImagePair[] = [];

test.before(async () => {
  await startBackendForTest('cpu');
  const sizes: Array<[number, number]> = [[40, 36], [48, 40], [36, 36]];
  for (const [i, [w, h]] of sizes.entries()) {
    await fixtureImage(path.join(tmp, 'blur', `${i}.png`), w, h, 10 + i);
    await fixtureImage(path.join(tmp, 'sharp', `${i}.png`), w, h, 20 + i);
  }
  pairs = (await readPairsFolder(tmp)).pairs;
});
test.after(() => fs.rmSync(tmp, { recursive: true }));

/** The crop a sample should hold, cut from the whole decoded image by hand. */
async function expectedCrop(file: string, left: number, top: number, size: number, flip: boolean): Promise<Float32Array> {
  const { raster } = await readRaster(file);
  const out = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const sx = left + (flip ? size - 1 - x : x);
      for (let c = 0; c < 3; c++) out[(y * size + x) * 3 + c] = raster.data[((top + y) * raster.width + sx) * 3 + c]!;
    }
  }
  return out;
}

test('each sample is the same window of the blurred and sharp image, flipped alike; targets are the 2×2-mean pyramid', async () => {
  const p = new TrainingPipeline(pairs, { batch: 2, crop: 16, seed: 3 });
  for (let index = 0; index < 4; index++) {
    const b = await p.load(index);
    assert.equal(b.blur.shape, [2, 16, 16, 3]);
    assert.equal(b.targets.map((t) => t.shape), [[2, 4, 4, 3], [2, 8, 8, 3], [2, 16, 16, 3]]);
    const blur = await b.blur.data();
    const r1 = await b.targets[2].data();
    const r2 = await b.targets[1].data();
    for (const [j, s] of b.samples.entries()) {
      const plane = 16 * 16 * 3;
      assert.equal(Array.from(blur.subarray(j * plane, (j + 1) * plane)), Array.from(await expectedCrop(s.pair.blur, s.left, s.top, 16, s.flip)));
      const sharp = await expectedCrop(s.pair.sharp, s.left, s.top, 16, s.flip);
      assert.equal(Array.from(r1.subarray(j * plane, (j + 1) * plane)), Array.from(sharp));
      for (let y = 0; y < 8; y++) {
        for (let x = 0; x < 8; x++) {
          const at = (yy: number, xx: number): number => sharp[(yy * 16 + xx) * 3]!;
          const mean = (at(2 * y, 2 * x) + at(2 * y, 2 * x + 1) + at(2 * y + 1, 2 * x) + at(2 * y + 1, 2 * x + 1)) / 4;
          assert.ok(Math.abs(r2[j * 8 * 8 * 3 + (y * 8 + x) * 3]! - mean) < 1e-6);
        }
      }
    }
    disposeBatch(b);
  }
});

test('deterministic from the seed; every pair once per epoch; crops and flips vary', () => {
  const a = new TrainingPipeline(pairs, { batch: 2, crop: 16, seed: 7 });
  const b = new TrainingPipeline(pairs, { batch: 2, crop: 16, seed: 7 });
  const c = new TrainingPipeline(pairs, { batch: 2, crop: 16, seed: 8 });
  const key = (p: TrainingPipeline, i: number): string => JSON.stringify(p.plan(i).map((s) => [s.pair.id, s.left, s.top, s.flip]));
  const plans = Array.from({ length: 30 }, (_, i) => key(a, i));
  assert.equal(plans, Array.from({ length: 30 }, (_, i) => key(b, i)));
  assert.not.equal(plans, Array.from({ length: 30 }, (_, i) => key(c, i)));
  const samples = Array.from({ length: 30 }, (_, i) => a.plan(i)).flat();
  for (let e = 0; e < 20; e++) {
    assert.equal(samples.slice(3 * e, 3 * e + 3).map((s) => s.pair.id).sort(), ['0.png', '1.png', '2.png'], `epoch ${e}`);
  }
  assert.ok(new Set(samples.map((s) => s.pair.id + s.left + ',' + s.top)).size > 20, 'crop positions vary');
  const flips = samples.filter((s) => s.flip).length;
  assert.ok(flips > 10 && flips < 50, `${flips} of 60 flipped`);
  assert.ok(samples.every((s) => s.left + 16 <= s.pair.width && s.top + 16 <= s.pair.height));
  const noFlip = new TrainingPipeline(pairs, { batch: 2, crop: 16, seed: 7, flip: false });
  assert.ok(Array.from({ length: 30 }, (_, i) => noFlip.plan(i)).flat().every((s) => !s.flip));
});

test('a crop larger than an image, or not a multiple of 4, is a clear error', () => {
  assert.throws(() => new TrainingPipeline(pairs, { batch: 1, crop: 40 }), /2 of 3 pairs are smaller than the 40×40 crop: .*0\.png \(40×36\).*use a crop of at most 36/);
  assert.throws(() => new TrainingPipeline(pairs, { batch: 1, crop: 18 }), /multiple of 4/);
  assert.throws(() => new TrainingPipeline(pairs, { batch: 0, crop: 16 }), /positive integer/);
});

test('the batch stream loads ahead, resumes at any index, and leaves no tensors behind', async () => {
  const p = new TrainingPipeline(pairs, { batch: 2, crop: 8, seed: 1 });
  const before = tf.memory().numTensors;
  const seen: string[] = [];
  for await (const b of p.batches()) {
    seen.push(`${b.index}:${Array.from(await b.blur.data()).slice(0, 6).join(',')}`);
    disposeBatch(b);
    if (b.index === 4) break;
  }
  assert.is(tf.memory().numTensors, before, 'the batch loaded ahead is disposed on break');
  const resumed: string[] = [];
  for await (const b of p.batches(3)) {
    resumed.push(`${b.index}:${Array.from(await b.blur.data()).slice(0, 6).join(',')}`);
    disposeBatch(b);
    if (b.index === 4) break;
  }
  assert.equal(resumed, seen.slice(3));
  assert.is(tf.memory().numTensors, before);
});

test('a file that turns unreadable mid-run stops the stream with its name', async () => {
  const dir = path.join(tmp, 'broken');
  await fixtureImage(path.join(dir, 'blur', 'x.png'), 12, 12, 1);
  await fixtureImage(path.join(dir, 'sharp', 'x.png'), 12, 12, 2);
  const p = new TrainingPipeline((await readPairsFolder(dir)).pairs, { batch: 1, crop: 8 });
  fs.writeFileSync(path.join(dir, 'sharp', 'x.png'), 'garbage');
  await rejectsWithUsage(p.load(0), /sharp\/x\.png: not a readable image/);
});

test.run();
