import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ImagePair } from '../../src/data/dataset';
import { writePng } from '../../src/data/image';
import { createRaster, type Raster } from '../../src/data/raster';
import { tuneBaselines } from '../../src/eval/baselines';
import { openCurveSets } from '../../src/train/curve';
import { seeded } from '../helpers';

// Training sets keep some pairs unblurred (the network must learn to leave them alone). Their input
// PSNR is infinite, so they carry no PSNR gain: tuning and learning curves must leave them out, or
// one such pair decides the unsharp mask's search (amount 0 always wins) and makes every mean gain NaN.

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unblurred-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A 3 × 3 box blur with mirrored edges (naive loops). */
function box3(r: Raster): Raster {
  const out = createRaster(r.width, r.height);
  const at = (x: number, y: number, c: number): number => r.data[(Math.min(r.height - 1, Math.abs(y)) * r.width + Math.min(r.width - 1, Math.abs(x))) * 3 + c]!;
  for (let y = 0; y < r.height; y++) for (let x = 0; x < r.width; x++) for (let c = 0; c < 3; c++) {
    let s = 0;
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) s += at(x + dx, y + dy, c);
    out.data[(y * r.width + x) * 3 + c] = s / 9;
  }
  return out;
}

async function pair(dir: string, id: string, seed: number, blurred: boolean): Promise<ImagePair> {
  // Bars 4 px wide, in a colour per seed: edges that a blur softens and an unsharp mask partly restores.
  const tint = seeded(3, seed).map((v) => 0.3 + 0.2 * v);
  const sharp = createRaster(24, 20, Float32Array.from({ length: 24 * 20 * 3 }, (_, i) => ((Math.floor(i / 3) % 24) >> 2) % 2 ? 0.2 : tint[i % 3]! + 0.4));
  const files = { blur: path.join(dir, 'blur', `${id}.png`), sharp: path.join(dir, 'sharp', `${id}.png`) };
  for (const f of Object.values(files)) fs.mkdirSync(path.dirname(f), { recursive: true });
  await writePng(files.sharp, sharp);
  await writePng(files.blur, blurred ? box3(sharp) : sharp);
  return { id: `${id}.png`, ...files, width: 24, height: 20 };
}

test('an unblurred pair changes nothing in the tuned baselines (without the rule: amount 0 and a NaN gain)', async () => {
  const dir = path.join(tmp, 'tune');
  const blurred = [await pair(dir, 'a', 1, true), await pair(dir, 'b', 2, true), await pair(dir, 'c', 3, true)];
  const about = { root: dir, description: 'test', pairs: 3, fingerprint: 'x' };
  const without = await tuneBaselines(blurred, about);
  const withIt = await tuneBaselines([...blurred, await pair(dir, 'same', 4, false)], about);
  assert.ok(without.usm.amount > 0 && without.usm.gain > 0, `a box blur is sharpened: ${JSON.stringify(without.usm)}`);
  assert.equal([withIt.usm, withIt.wiener], [without.usm, without.wiener]);
});

test('a learning-curve set leaves its unblurred pairs out and says how many', async () => {
  const root = path.join(tmp, 'curve');
  const seq = path.join(root, 'test', 'seq');
  await pair(seq, '000000', 5, true);
  await pair(seq, '000001', 6, false);
  await pair(seq, '000002', 7, true);
  const [s] = await openCurveSets([{ name: 'held-out', root, layout: 'gopro' }]);
  assert.equal(s!.pairs.map((p) => p.id), ['seq/000000.png', 'seq/000002.png']);
  assert.is(s!.unblurred, 1);
});

test.run();
