import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { readImage, readRaster, writePng } from '../../src/data/image';
import { startBackendForTest } from '../helpers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deblur-img-'));

test('8-bit RGB round-trips exactly through writePng and readImage', async () => {
  await startBackendForTest('cpu');
  const values = Float32Array.from({ length: 5 * 7 * 3 }, (_, i) => (i * 37) % 256 / 255);
  const file = path.join(dir, 'rgb.png');
  await writePng(file, tf.tensor3d(values, [5, 7, 3]));
  const img = await readImage(file);
  assert.equal(img.tensor.shape, [1, 5, 7, 3]);
  assert.equal(img.conversions, []);
  const got = await img.tensor.data();
  for (let i = 0; i < values.length; i++) assert.ok(Math.abs(got[i]! - values[i]!) < 1e-7);
});

test('grey, alpha and 16-bit inputs become RGB floats and say so', async () => {
  const grey = path.join(dir, 'grey.png');
  await sharp(Buffer.from([0, 128, 255, 64]), { raw: { width: 2, height: 2, channels: 1 } }).toColourspace('b-w').png().toFile(grey);
  const g = await readImage(grey);
  assert.equal(g.conversions, ['grey → RGB']);
  assert.equal(Array.from(await g.tensor.data()).slice(0, 6).map((v) => Math.round(v * 255)), [0, 0, 0, 128, 128, 128]);

  const deep = path.join(dir, 'deep.png');
  const px = new Uint16Array([65535, 0, 32768, 1000, 2000, 3000]);
  await sharp(px, { raw: { width: 2, height: 1, channels: 3 } }).toColourspace('rgb16').png().toFile(deep); // depth from the Uint16Array
  const d = await readImage(deep);
  assert.ok(d.conversions.includes('16-bit → float'), d.conversions.join());
  const dv = await d.tensor.data();
  assert.ok(Math.abs(dv[3]! - 1000 / 65535) < 1e-6, `16-bit precision kept: ${dv[3]}`);

  const rgba = path.join(dir, 'rgba.png');
  await sharp({ create: { width: 3, height: 2, channels: 4, background: { r: 10, g: 20, b: 30, alpha: 0.25 } } }).png().toFile(rgba);
  assert.equal((await readImage(rgba)).conversions, ['alpha dropped']);
});

test('missing, empty, corrupt and unsupported files are clear UsageErrors', async () => {
  const empty = path.join(dir, 'empty.png');
  fs.writeFileSync(empty, '');
  const corrupt = path.join(dir, 'corrupt.png');
  fs.writeFileSync(corrupt, Buffer.from('\x89PNG\r\n\x1a\nthis is not really a png'));
  const truncated = path.join(dir, 'truncated.png');
  const whole = fs.readFileSync('data/images/astronaut.png');
  fs.writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length / 2)));
  const truncatedJpeg = path.join(dir, 'truncated.jpg');
  const jpeg = await sharp('data/images/astronaut.png').jpeg().toBuffer();
  fs.writeFileSync(truncatedJpeg, jpeg.subarray(0, Math.floor(jpeg.length / 2)));
  const gif = path.join(dir, 'x.gif');
  await sharp({ create: { width: 2, height: 2, channels: 3, background: '#fff' } }).gif().toFile(gif);
  for (const [file, why] of [
    [path.join(dir, 'missing.png'), /no such file/],
    [empty, /empty file/],
    [corrupt, /not a readable image|cannot decode/],
    [truncated, /cannot decode/],
    [truncatedJpeg, /cannot decode/],
    [gif, /unsupported format gif/],
  ] as const) {
    await readImage(file).then(
      () => assert.unreachable(`${file} was accepted`),
      (e: Error) => {
        assert.is(e.name, 'UsageError');
        assert.ok(e.message.startsWith(file), e.message);
        assert.match(e.message, why);
      },
    );
  }
});

test('a window and a flip return exactly that region, mirrored; a window outside the image is refused', async () => {
  const whole = (await readRaster('data/images/astronaut.png')).raster;
  const { raster } = await readRaster('data/images/astronaut.png', { window: { left: 100, top: 50, width: 7, height: 5 }, flip: true });
  assert.equal([raster.width, raster.height], [7, 5]);
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 7; x++) {
      assert.is(raster.data[(y * 7 + x) * 3 + 1], whole.data[((50 + y) * 512 + 100 + 6 - x) * 3 + 1]);
    }
  }
  await readRaster('data/images/astronaut.png', { window: { left: 510, top: 0, width: 7, height: 5 } }).then(
    () => assert.unreachable('accepted'),
    (e: Error) => assert.match(e.message, /does not fit in the 512×512 image/),
  );
  const shrunk = await readRaster('data/images/astronaut.png', { longSide: 100 });
  assert.equal([shrunk.raster.width, shrunk.raster.height, shrunk.conversions], [100, 100, ['resized 512×512 → 100×100']]);
  assert.is((await readRaster('data/images/astronaut.png', { longSide: 1000 })).raster.width, 512, 'never enlarged');
});

test.after(() => fs.rmSync(dir, { recursive: true }));
test.run();
