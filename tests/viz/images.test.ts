import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRaster, type Raster } from '../../src/data/raster';
import { readRaster } from '../../src/data/image';
import { colorAt, colorize } from '../../src/viz/colormap';
import { detailRegion, drawBox, enlarge, errorValues, imageGrid, zoomInsets } from '../../src/viz/images';
import { htmlPage } from '../../src/viz/display';
import { rejectsWithUsage, seeded, startBackendForTest } from '../helpers';

test.before(() => startBackendForTest('wasm'));

function randomRaster(w: number, h: number, seed: number): Raster {
  return createRaster(w, h, seeded(w * h * 3, seed).map((v) => (v + 1) / 2));
}

const px = (r: Raster, x: number, y: number) => Array.from(r.data.subarray((y * r.width + x) * 3, (y * r.width + x) * 3 + 3));

test('enlarge replicates each pixel into a factor × factor block', () => {
  const r = randomRaster(5, 3, 1);
  const big = enlarge(r, 3);
  assert.is(big.width, 15);
  assert.is(big.height, 9);
  for (let y = 0; y < 9; y++) for (let x = 0; x < 15; x++) assert.equal(px(big, x, y), px(r, Math.floor(x / 3), Math.floor(y / 3)));
  assert.throws(() => enlarge(r, 1.5), /whole number/);
});

test('drawBox colours exactly the outline, leaves the inside and the input alone', () => {
  const r = randomRaster(12, 10, 2);
  const copy = Float32Array.from(r.data);
  const boxed = drawBox(r, { left: 2, top: 3, width: 6, height: 5 }, [1, 0, 0], 1);
  assert.equal(r.data, copy, 'input unchanged');
  for (let y = 0; y < 10; y++)
    for (let x = 0; x < 12; x++) {
      const inside = x >= 2 && x < 8 && y >= 3 && y < 8;
      const edge = inside && (x === 2 || x === 7 || y === 3 || y === 7);
      assert.equal(px(boxed, x, y), edge ? [1, 0, 0] : px(r, x, y), `(${x}, ${y})`);
    }
  assert.throws(() => drawBox(r, { left: 8, top: 0, width: 6, height: 2 }), /not inside/);
});

test('detailRegion finds the window with the most gradient energy (checked by brute force)', async () => {
  const { raster } = await readRaster('data/sample/test/coffee/sharp/000002.png');
  const size = 48;
  const region = detailRegion(raster, size, 8);
  const energy = (left: number, top: number) => {
    let e = 0;
    for (let y = top; y < top + size; y++)
      for (let x = left; x < left + size; x++)
        for (let c = 0; c < 3; c++) {
          const v = raster.data[(y * raster.width + x) * 3 + c]!;
          if (x + 1 < raster.width) e += (raster.data[(y * raster.width + x + 1) * 3 + c]! - v) ** 2;
          if (y + 1 < raster.height) e += (raster.data[((y + 1) * raster.width + x) * 3 + c]! - v) ** 2;
        }
    return e;
  };
  let best = -1;
  for (let y = 0; y + size <= raster.height; y += 8) for (let x = 0; x + size <= raster.width; x += 8) best = Math.max(best, energy(x, y));
  assert.ok(Math.abs(energy(region.left, region.top) - best) < 1e-6 * best, 'the chosen window is the best one');
  assert.throws(() => detailRegion(raster, 1000), /does not fit/);
});

test('errorValues is the mean absolute difference over RGB; sizes must match', async () => {
  const a = randomRaster(7, 4, 3);
  const b = randomRaster(7, 4, 4);
  const { values } = await errorValues(a, b);
  for (let i = 0; i < 28; i++) {
    const want = (Math.abs(a.data[3 * i]! - b.data[3 * i]!) + Math.abs(a.data[3 * i + 1]! - b.data[3 * i + 1]!) + Math.abs(a.data[3 * i + 2]! - b.data[3 * i + 2]!)) / 3;
    assert.ok(Math.abs(values[i]! - want) < 1e-6);
  }
  await rejectsWithUsage(errorValues(a, randomRaster(4, 7, 5)), /differ in size/);
});

test('colorize maps the range ends to the colour map ends', () => {
  const r = colorize([0, 5, 10], 3, 1, { colormap: 'gray' });
  assert.equal(Array.from(r.data).map((v) => Math.round(v * 1000) / 1000), [0, 0, 0, 0.5, 0.5, 0.5, 1, 1, 1]);
  const v = colorize([2, 2], 2, 1, { colormap: 'viridis', range: [0, 4] });
  px(v, 0, 0).forEach((c, i) => assert.ok(Math.abs(c - colorAt('viridis', 0.5)[i]!) < 1e-6, 'float32 of the map colour'));
});

test('imageGrid embeds each image as a PNG that decodes back to it (8-bit), titles escaped', async () => {
  const a = randomRaster(9, 6, 6);
  const t = tf.tensor4d(seeded(5 * 4 * 3, 7).map((v) => (v + 1) / 2), [1, 5, 4, 3]);
  const bundle = await imageGrid([[{ image: a, title: 'a <b>' }, { image: t, title: 'tensor' }]]);
  const html = String(bundle.data);
  assert.ok(html.includes('a &lt;b&gt;'), 'title escaped');
  const urls = [...html.matchAll(/src="data:image\/png;base64,([^"]+)"/g)].map((m) => Buffer.from(m[1]!, 'base64'));
  assert.is(urls.length, 2);
  const { data, info } = await sharp(urls[0]!).raw().toBuffer({ resolveWithObject: true });
  assert.equal([info.width, info.height, info.channels], [9, 6, 3]);
  Array.from(data as Buffer).forEach((byte, i) => assert.is(byte, Math.round(a.data[i]! * 255)));
  t.dispose();
});

test('zoomInsets: every image whole plus its enlarged region; mismatched sizes are refused', async () => {
  const a = randomRaster(32, 32, 8);
  const b = randomRaster(32, 32, 9);
  const bundle = await zoomInsets([{ image: a, title: 'a' }, { image: b, title: 'b' }], { left: 4, top: 4, width: 8, height: 8 }, { zoom: 4 });
  const pngs = [...String(bundle.data).matchAll(/base64,([^"]+)"/g)].map((m) => Buffer.from(m[1]!, 'base64'));
  assert.is(pngs.length, 4);
  const sizes = await Promise.all(pngs.map(async (p) => (await sharp(p).metadata()).width));
  assert.equal(sizes, [32, 32, 32, 32]);
  await rejectsWithUsage(zoomInsets([{ image: a }, { image: randomRaster(16, 32, 1) }], { left: 0, top: 0, width: 4, height: 4 }), /differ in size/);
  assert.ok(!htmlPage([bundle]).includes('Plotly'), 'no plotly.js on a page without charts');
});

test.run();
