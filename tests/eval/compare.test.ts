import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readPairsFolder } from '../../src/data/pairs';
import { readRaster, writePng } from '../../src/data/image';
import { cropRaster, quantize8, rasterToTensor, tensorToRaster } from '../../src/data/raster';
import { unsharpMask } from '../../src/classical/unsharp-mask';
import { baselineMethod, compareOnSet, INPUT_METHOD, methodMeans, methodStanding, networkMethod, powerRatioToSharp, type Method, type SetComparison } from '../../src/eval/compare';
import type { TunedBaselines } from '../../src/eval/baselines';
import { restorationKey, type RestorationCache } from '../../src/infer/restoration-cache';
import { psnr, ssim } from '../../src/metrics';
import { variantConfig } from '../../src/model/config';
import { buildNet } from '../../src/model/net';
import { restore, type PeerNetwork } from '../../src/infer/restore';
import { radialPower } from '../../src/viz/spectra';
import { startBackendForTest } from '../helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'compare-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function pairsFolder(): Promise<string> {
  const photo = (await readRaster('data/images/astronaut.png')).raster;
  const dir = path.join(tmp, 'pairs');
  for (const kind of ['sharp', 'blur']) fs.mkdirSync(path.join(dir, kind), { recursive: true });
  for (const [i, [x, y]] of [[120, 60], [260, 300]].entries()) {
    const sharp = cropRaster(photo, x!, y!, 48, 40);
    await writePng(path.join(dir, 'sharp', `${i}.png`), sharp);
    // A horizontal 5-pixel box blur made by averaging shifted crops: a blurred partner of the same size.
    const shifts = [-2, -1, 0, 1, 2].map((d) => cropRaster(photo, x! + d, y!, 48, 40));
    await writePng(path.join(dir, 'blur', `${i}.png`), { width: 48, height: 40, data: sharp.data.map((_, k) => shifts.reduce((s, r) => s + r.data[k]!, 0) / 5) });
  }
  return dir;
}

test('compareOnSet: every method scored as eval scores it, spectra summed, a cache that answers without the network', async () => {
  await startBackendForTest('wasm');
  const { pairs } = await readPairsFolder(await pairsFolder());
  const model = buildNet(variantConfig('lite'), { seed: 5 });
  let calls = 0;
  const counted: PeerNetwork = { peer: 'counted', restoreFull: (x) => { calls++; return tf.tidy(() => restore(model, x).s1); }, dispose: () => undefined };
  const cache: RestorationCache = { identity: 'lite seed 5', name: 'lite-5', readFrom: [path.join(tmp, 'cache')], writeTo: path.join(tmp, 'cache') };
  const tuned = { usm: { sigma: 1, amount: 0.5, gain: 0 }, wiener: { nsr: 0.01, gain: 0 }, tunedOn: { root: 'x', description: 'x', pairs: 3, fingerprint: 'x' } } as TunedBaselines;
  const oracle: Method = { name: 'the sharp image', kind: 'baseline', restore: async (_b, sharp) => ({ restored: sharp }) };
  const methods = [INPUT_METHOD, networkMethod('lite', counted, { kind: 'peer', cache }), baselineMethod('usm', tuned), oracle];
  const seen: number[] = [];
  const first = await compareOnSet('two crops', pairs, methods, (done) => seen.push(done));
  assert.equal(seen, [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.is(calls, 2);
  assert.equal(first.ids, pairs.map((p) => p.id));
  for (const [i, p] of pairs.entries()) {
    const blur = (await readRaster(p.blur)).raster;
    const sharp = (await readRaster(p.sharp)).raster;
    const x = rasterToTensor(blur);
    const r = restore(model, x);
    const out = quantize8(await tensorToRaster(r.s1));
    tf.dispose([x, r.s1, r.s2, r.s3]);
    assert.ok(Math.abs(first.methods.get('lite')!.psnr[i]! - psnr(out, sharp)) < 1e-9);
    assert.ok(Math.abs(first.methods.get('lite')!.ssim[i]! - ssim(out, sharp)) < 1e-9);
    assert.ok(Math.abs(first.methods.get(INPUT_METHOD.name)!.psnr[i]! - psnr(blur, sharp)) < 1e-9);
    const usm = quantize8(unsharpMask(blur, { sigma: 1, amount: 0.5 }));
    assert.ok(Math.abs(first.methods.get(methods[2]!.name)!.psnr[i]! - psnr(usm, sharp)) < 1e-9);
    const key = restorationKey('lite seed 5', 'auto', blur);
    assert.ok(fs.existsSync(path.join(tmp, 'cache', 'lite-5', `${key}.png`)) && fs.existsSync(path.join(tmp, 'cache', 'lite-5', `${key}.json`)));
  }
  // Summed spectra: the sharp images' against radialPower of each, and the oracle's ratio is 1 everywhere.
  const direct = await Promise.all(pairs.map(async (p) => {
    const t = rasterToTensor((await readRaster(p.sharp)).raster);
    const prof = await radialPower(t);
    t.dispose();
    return prof.power;
  }));
  for (const [k, v] of first.sharpPower.entries()) assert.ok(Math.abs(v - direct[0]![k]! - direct[1]![k]!) <= 1e-9 * Math.abs(v));
  assert.ok(powerRatioToSharp(first, 'the sharp image').every((r) => Math.abs(r - 1) < 1e-12));
  const blurRatio = powerRatioToSharp(first, INPUT_METHOD.name);
  assert.ok(blurRatio[blurRatio.length - 2]! < 0.5, 'a 5-pixel box blur removes most of the high frequencies');
  const m = methodMeans(first, 'lite');
  assert.ok(Math.abs(m.gain - (m.psnr - methodMeans(first, INPUT_METHOD.name).psnr)) < 1e-12);

  // Measured on the second run: the first one also fills the DFT's per-size matrix cache.
  const before = tf.memory().numTensors;
  const again = await compareOnSet('two crops', pairs, methods);
  assert.is(tf.memory().numTensors, before, 'compareOnSet leaked tensors');
  assert.is(calls, 2, 'the second run is answered from the cache');
  assert.is(again.methods.get('lite')!.cached, 2);
  assert.equal(again.methods.get('lite')!.psnr, first.methods.get('lite')!.psnr);
  const other = await compareOnSet('two crops', pairs, [networkMethod('lite', counted, { cache: { ...cache, identity: 'lite seed 6' } })]);
  assert.is(calls, 4, 'another identity is another key');
  assert.is(other.methods.get('lite')!.cached, 0);
  // A damaged entry is named, not silently recomputed or misread.
  const damaged = path.join(tmp, 'cache', 'lite-5', `${restorationKey('lite seed 5', 'auto', (await readRaster(pairs[0]!.blur)).raster)}.png`);
  fs.writeFileSync(damaged, 'not a png');
  try {
    await compareOnSet('two crops', pairs, methods);
    assert.unreachable('a damaged cache entry');
  } catch (e) {
    assert.match((e as Error).message, new RegExp(`restoration cache: cannot read ${damaged.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*delete it`));
  }
  try {
    await compareOnSet('x', pairs, [INPUT_METHOD, INPUT_METHOD]);
    assert.unreachable('two methods of one name');
  } catch (e) {
    assert.match((e as Error).message, /two methods are named blurred input/);
  }
  model.dispose();
});

test('methodStanding: the mean gain, the images improved and the worst image, each against the input', () => {
  const set: SetComparison = {
    name: 'three',
    protocol: 'whole',
    ids: ['a', 'b', 'c'],
    frequency: [],
    sharpPower: [],
    methods: new Map([
      [INPUT_METHOD.name, { psnr: [20, 30, 40], ssim: [null, null, null], cached: 0, power: [] }],
      ['net', { psnr: [22, 29.5, 40], ssim: [null, null, null], cached: 0, power: [] }],
    ]),
  };
  const s = methodStanding(set, 'net');
  assert.ok(Math.abs(s.gain - 0.5) < 1e-12, `mean of +2, -0.5, 0: ${s.gain}`);
  assert.is(s.improved, 1, 'an unchanged image is not improved');
  assert.equal(s.worst, { id: 'b', gain: -0.5 });
  assert.is(s.n, 3);
  assert.throws(() => methodStanding(set, 'other'), /no method other/);
});

test.run();
