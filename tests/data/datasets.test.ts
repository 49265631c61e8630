import * as assert from 'uvu/assert';
import { test } from 'uvu';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readGoPro } from '../../src/data/gopro';
import { detectLayout, openDataset } from '../../src/data/open-dataset';
import { readPairsFolder } from '../../src/data/pairs';
import { readRealBlur } from '../../src/data/realblur';
import { rejectsWithUsage } from '../helpers';
import { fixtureImage, goproFixture, realBlurFixture } from './fixtures';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'datasets-'));
const gopro = path.join(tmp, 'GOPRO_Large');
const realblur = path.join(tmp, 'RealBlur');
const pairsDir = path.join(tmp, 'pairs');

test.before(async () => {
  await goproFixture(gopro);
  await realBlurFixture(realblur);
  await fixtureImage(path.join(pairsDir, 'blur', 'a.png'), 20, 20, 1);
  await fixtureImage(path.join(pairsDir, 'sharp', 'a.png'), 20, 20, 2);
  await fixtureImage(path.join(pairsDir, 'sharp', 'b.jpg'), 20, 20, 3);
});
test.after(() => fs.rmSync(tmp, { recursive: true }));

const rel = (f: string): string => path.relative(tmp, f);

test('GoPro: pairs by name within each sequence, blur or blur_gamma, every problem reported', async () => {
  const train = await readGoPro(gopro, { split: 'train' });
  assert.equal(train.pairs.map((p) => p.id), ['GOPR0372_07_00/000047.png', 'GOPR0372_07_00/000048.png', 'GOPR0372_07_00/000049.png']);
  assert.equal(rel(train.pairs[0]!.blur), 'GOPRO_Large/train/GOPR0372_07_00/blur/000047.png');
  assert.equal([train.pairs[0]!.width, train.pairs[0]!.height], [40, 24]);
  const problems = train.problems.map((p) => `${rel(p.file)}: ${p.problem.split(' (')[0]!.split(' in ')[0]}`).sort();
  assert.equal(problems, [
    'GOPRO_Large/train/GOPR0868_11_01/blur/000002.png: size 40×20 differs from its sharp partner\'s 40×24',
    'GOPRO_Large/train/GOPR0868_11_01/blur/000003.png: not a readable image',
    'GOPRO_Large/train/GOPR0868_11_01/blur/000004.png: no sharp partner',
    'GOPRO_Large/train/GOPR0868_11_01/sharp/000001.png: no blurred partner',
  ]);
  const gamma = await readGoPro(gopro, { split: 'train', blur: 'blur_gamma' });
  assert.equal(rel(gamma.pairs[1]!.blur), 'GOPRO_Large/train/GOPR0372_07_00/blur_gamma/000048.png');
  assert.ok(gamma.problems.some((p) => rel(p.file) === 'GOPRO_Large/train/GOPR0868_11_01' && /no blur_gamma\/ folder/.test(p.problem)));
  const test_ = await readGoPro(gopro, { split: 'test' });
  assert.equal(test_.pairs.length, 2);
  assert.equal(test_.problems, []);
});

test('RealBlur: reads the list files as shipped (trailing spaces, no final newline, gt first)', async () => {
  const ds = await readRealBlur(realblur, { split: 'test' });
  assert.is(ds.description, 'RealBlur-J test split (RealBlur_J_test_list.txt)');
  assert.equal(ds.pairs.map((p) => path.relative(realblur, p.sharp)), [
    'RealBlur-J_ECC_IMCORR_centroid_itensity_ref/scene230/gt/gt_7.png',
    'RealBlur-J_ECC_IMCORR_centroid_itensity_ref/scene230/gt/gt_8.png',
    'RealBlur-J_ECC_IMCORR_centroid_itensity_ref/scene231/gt/gt_1.png',
  ]);
  assert.ok(ds.pairs.every((p) => /\/blur\/blur_\d+\.png$/.test(p.blur)));
  assert.equal(ds.problems.map((p) => [path.relative(realblur, p.file), p.problem]), [
    ['RealBlur-J_ECC_IMCORR_centroid_itensity_ref/scene232/blur/blur_1.png', 'no such file'],
    ['RealBlur-J_ECC_IMCORR_centroid_itensity_ref/scene232/gt/gt_1.png', 'no such file'],
  ]);
  await rejectsWithUsage(readRealBlur(realblur, { split: 'train' }), /no RealBlur_J_train_list\.txt or RealBlur_R_train_list\.txt/);
});

test('pairs folder: blur/X paired with sharp/X', async () => {
  const ds = await readPairsFolder(pairsDir);
  assert.equal(ds.pairs.map((p) => p.id), ['a.png']);
  assert.equal(ds.problems.map((p) => [path.basename(p.file), p.problem.split(' in ')[0]]), [['b.jpg', 'no blurred partner']]);
});

test('openDataset detects each layout, and refuses what it cannot use with one clear line', async () => {
  assert.is(detectLayout(gopro), 'gopro');
  assert.is(detectLayout(realblur), 'realblur');
  assert.is(detectLayout(pairsDir), 'pairs');
  assert.is((await openDataset(gopro, { split: 'train' })).pairs.length, 3);
  await rejectsWithUsage(openDataset(path.join(tmp, 'nowhere')), /no such folder/);
  await rejectsWithUsage(openDataset(path.join(gopro, 'train', 'GOPR0372_07_00', 'sharp')), /cannot tell the dataset layout/);
  await rejectsWithUsage(openDataset(gopro, { split: 'train', strict: true }), /4 problems: .*000002\.png: size 40×20/);
  const empty = path.join(tmp, 'empty');
  fs.mkdirSync(path.join(empty, 'blur'), { recursive: true });
  fs.mkdirSync(path.join(empty, 'sharp'));
  await rejectsWithUsage(openDataset(empty), /no usable image pairs/);
  await rejectsWithUsage(openDataset(gopro, { layout: 'realblur' }), /no RealBlur_J_test_list/);
});

test.run();
