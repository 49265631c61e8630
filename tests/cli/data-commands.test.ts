import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { folderDigest } from '../helpers';
import { readGoPro } from '../../src/data/gopro';
import { readRaster } from '../../src/data/image';
import { psnr, ssim } from '../../src/metrics';

const root = path.join(__dirname, '..', '..');
function cli(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'deblur-lab.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'data-cli-'));
const photos = path.join(tmp, 'photos');

test.before(async () => {
  fs.mkdirSync(photos);
  // Three real photos, one of them larger than GoPro scale (so it is shrunk first).
  await sharp('data/images/astronaut.png').resize(1600, 1600).jpeg({ quality: 90 }).toFile(path.join(photos, 'big astronaut.jpg'));
  await sharp('data/images/astronaut.png').extract({ left: 0, top: 0, width: 320, height: 300 }).toFile(path.join(photos, 'corner.png'));
  await sharp('data/sample/train/chelsea/sharp/000000.png').toFile(path.join(photos, 'cat.png'));
});
test.after(() => fs.rmSync(tmp, { recursive: true }));


test('synth writes a GoPro-layout set that the GoPro reader takes, the same bytes for the same seed', async () => {
  const a = path.join(tmp, 'a');
  const r = cli('synth', '--photos', photos, '--out', a, '--crop', '96', '--per-photo', '2', '--seed', '5', '--test-fraction', '0.34');
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /train: 4 pairs from 2 photos; PSNR\(blur, sharp\) [\d.]+ ± [\d.]+ dB/);
  assert.match(r.out, /test: 2 pairs from 1 photos/);
  const train = await readGoPro(a, { split: 'train', blur: 'blur_gamma' });
  const testSplit = await readGoPro(a, { split: 'test' });
  assert.is(train.pairs.length + testSplit.pairs.length, 6);
  assert.equal([...train.problems, ...testSplit.problems], []);
  assert.ok(train.pairs.every((p) => p.width === 96 && p.height === 96));
  assert.ok(fs.readdirSync(path.join(a, 'train')).concat(fs.readdirSync(path.join(a, 'test'))).includes('big_astronaut'));
  const manifest = JSON.parse(fs.readFileSync(path.join(a, 'synth.json'), 'utf8')) as { pairs: Array<{ source: string; frame: { width: number }; psnr: { blur: number }; split: string; sequence: string; file: string }> };
  assert.ok(manifest.pairs.find((p) => p.source === 'big astronaut.jpg')!.frame.width === 1280, 'shrunk to GoPro scale');
  const first = manifest.pairs[0]!;
  const dir = path.join(a, first.split, first.sequence);
  const measured = psnr((await readRaster(path.join(dir, 'blur', first.file))).raster, (await readRaster(path.join(dir, 'sharp', first.file))).raster);
  assert.ok(Math.abs(measured - first.psnr.blur) < 1e-3, 'synth.json PSNR is that of the written files');

  const b = path.join(tmp, 'b');
  assert.is(cli('synth', '--photos', photos, '--out', b, '--crop', '96', '--per-photo', '2', '--seed', '5', '--test-fraction', '0.34').code, 0);
  assert.is(folderDigest(a), folderDigest(b));
  const c = path.join(tmp, 'c');
  assert.is(cli('synth', '--photos', photos, '--out', c, '--crop', '96', '--per-photo', '2', '--seed', '6', '--test-fraction', '0.34').code, 0);
  assert.is.not(folderDigest(a), folderDigest(c));
});

test('synth refuses what it cannot do, in one line, and writes nothing', () => {
  const before = folderDigest(path.join(tmp, 'a'));
  const cases: Array<[string[], RegExp]> = [
    [['synth', '--photos', photos, '--out', path.join(tmp, 'a')], /exists and is not empty/],
    [['synth', '--photos', path.join(tmp, 'nope'), '--out', path.join(tmp, 'd')], /no such folder/],
    [['synth', '--photos', photos, '--out', path.join(tmp, 'd'), '--extent', '30,10'], /MIN must not exceed MAX/],
    [['synth', '--photos', photos, '--out', path.join(tmp, 'd'), '--crop', '400'], /smaller than the 400×400 crop/],
    [['synth', '--photos', photos, '--out', path.join(tmp, 'd'), '--model', 'gaussian'], /unknown blur model/],
  ];
  for (const [args, re] of cases) {
    const r = cli(...args);
    assert.ok(r.code !== 0, args.join(' '));
    assert.match(r.err, re);
    assert.not.match(r.err, /\n\s+at /);
  }
  assert.not.ok(fs.existsSync(path.join(tmp, 'd')) && fs.readdirSync(path.join(tmp, 'd')).length > 0);
  assert.is(folderDigest(path.join(tmp, 'a')), before);
  fs.writeFileSync(path.join(photos, 'broken.png'), 'not a png');
  const r = cli('synth', '--photos', photos, '--out', path.join(tmp, 'e'));
  assert.match(r.err, /broken\.png: not a readable image/);
  assert.not.ok(fs.existsSync(path.join(tmp, 'e')));
  fs.rmSync(path.join(photos, 'broken.png'));
});

test('metrics prints the same PSNR and SSIM as the library, as JSON or text', async () => {
  const blur = 'data/sample/test/china/blur/000000.png';
  const sharpFile = 'data/sample/test/china/sharp/000000.png';
  const r = cli('metrics', sharpFile, blur, '--json');
  assert.is(r.code, 0, r.err);
  const got = JSON.parse(r.out) as { psnr: number; ssim: number };
  const a = (await readRaster(sharpFile)).raster;
  const b = (await readRaster(blur)).raster;
  assert.ok(Math.abs(got.psnr - psnr(a, b)) < 1e-9 && Math.abs(got.ssim - ssim(a, b)) < 1e-9);
  assert.match(cli('metrics', sharpFile, blur).out, /^PSNR [\d.]+ dB {3}SSIM 0\.\d{6}$/m);
  assert.equal(JSON.parse(cli('metrics', blur, blur, '--json').out), { psnr: null, ssim: 1, identical: true });
  const bad = cli('metrics', blur, 'data/sample/real/clock_motion.png');
  assert.is(bad.code, 2);
  assert.match(bad.err, /is 256×256 but .*clock_motion\.png is 400×300/);
});

test.run();
