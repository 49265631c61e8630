import * as assert from 'uvu/assert';
import { test } from 'uvu';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readGoPro } from '../../src/data/gopro';
import { readRaster } from '../../src/data/image';
import { psnr } from '../../src/metrics';

const root = 'data/sample';

function files(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

test('the sample reads as GoPro: ≥ 40 train and ≥ 12 test pairs, all ≥ 256², no problems, photo-disjoint splits', async () => {
  const train = await readGoPro(root, { split: 'train' });
  const testSplit = await readGoPro(root, { split: 'test', blur: 'blur_gamma' });
  assert.ok(train.pairs.length >= 40, `${train.pairs.length} train pairs`);
  assert.ok(testSplit.pairs.length >= 12, `${testSplit.pairs.length} test pairs`);
  assert.equal([...train.problems, ...testSplit.problems], []);
  assert.ok([...train.pairs, ...testSplit.pairs].every((p) => p.width >= 256 && p.height >= 256));
  const seqs = (ps: typeof train.pairs): Set<string> => new Set(ps.map((p) => p.id.split('/')[0]!));
  const shared = [...seqs(train.pairs)].filter((s) => seqs(testSplit.pairs).has(s));
  assert.equal(shared, [], 'no photo in both splits');
  const sa = await readGoPro(path.join(root, 'cc-by-sa'), { split: 'test' });
  assert.ok(sa.pairs.length > 0 && fs.existsSync(path.join(root, 'cc-by-sa', 'LICENSE.md')));
  const real = await readRaster(path.join(root, 'real', 'clock_motion.png'));
  assert.equal(real.conversions, ['grey → RGB']);
});

test('every file is in SHA256SUMS with its checksum, and the whole folder is under 25 MB', () => {
  const sums = fs.readFileSync(path.join(root, 'SHA256SUMS'), 'utf8').trim().split('\n').map((l) => l.split('  ') as [string, string]);
  const listed = new Map(sums.map(([h, f]) => [f, h]));
  const present = files(root).filter((f) => f !== 'SHA256SUMS');
  assert.equal([...listed.keys()].sort(), present);
  for (const f of present) assert.is(createHash('sha256').update(fs.readFileSync(path.join(root, f))).digest('hex'), listed.get(f), f);
  const bytes = present.reduce((n, f) => n + fs.statSync(path.join(root, f)).size, 0);
  assert.ok(bytes < 25e6, `${bytes} bytes`);
});

test('README reports the test split mean PSNR(blurred, sharp) that the files give; ATTRIBUTION names every photo', async () => {
  const ds = await readGoPro(root, { split: 'test' });
  let sum = 0;
  for (const p of ds.pairs) sum += psnr((await readRaster(p.blur)).raster, (await readRaster(p.sharp)).raster);
  const mean = sum / ds.pairs.length;
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const row = /\| test \| (\d+) \| \d+ \| ([\d.]+) ±/.exec(readme);
  assert.ok(row, 'README has the test row');
  assert.is(Number(row![1]), ds.pairs.length);
  assert.ok(Math.abs(Number(row![2]) - mean) < 0.01, `README ${row![2]} vs files ${mean.toFixed(3)}`);
  const attribution = fs.readFileSync(path.join(root, 'ATTRIBUTION.md'), 'utf8');
  for (const split of ['train', 'test', 'cc-by-sa/test']) {
    for (const seq of fs.readdirSync(path.join(root, split))) assert.ok(attribution.includes(`\`${split}/${seq}/*/`), `${split}/${seq} attributed`);
  }
});

test.run();
