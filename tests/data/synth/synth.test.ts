import * as assert from 'uvu/assert';
import { test } from 'uvu';
import { readRaster, writePng } from '../../../src/data/image';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { createRaster, cropRaster, dihedral, rasterToTensor, type Raster } from '../../../src/data/raster';
import { writeSynthDataset, type SynthRecord } from '../../../src/data/synth/write-dataset';
import { singleGenerator } from '../../../src/data/synth/generators';
import { applyPose, cornerExtent, randomCameraPath, type CameraPath } from '../../../src/data/synth/camera-path';
import { fromLinear, toLinear } from '../../../src/data/synth/gamma';
import { pointSpread, shakeBlur } from '../../../src/data/synth/shake';
import { psnrByExtent } from '../../../src/data/synth/statistics';
import { synthesizePair, texture } from '../../../src/data/synth/synthesize';
import { convolve, randomTrajectory, trajectoryKernel, trajectorySpan, withSpan } from '../../../src/data/synth/trajectory';
import { psnr } from '../../../src/metrics';
import { Rng } from '../../../src/random';
import { seeded } from '../../helpers';

let photo: Raster;
test.before(async () => {
  photo = cropRaster((await readRaster('data/images/astronaut.png')).raster, 64, 32, 192, 160);
});

test('camera paths: 7–13 poses, extent exactly as asked, sharp frame in the middle, reproducible', () => {
  for (let s = 0; s < 20; s++) {
    const path = randomCameraPath(Rng.seeded('path', s), 320, 240, { extent: 5 + s });
    assert.ok(path.poses.length >= 7 && path.poses.length <= 13, `${path.poses.length} poses`);
    assert.ok(Math.abs(cornerExtent(path.poses, 320, 240) - (5 + s)) < 1e-3, `extent ${path.extent} for ${5 + s}`);
    const mean = path.poses.reduce((m, p) => m + p.dx / path.poses.length, 0);
    assert.ok(Math.abs(mean) < 1e-9, 'poses centred on the sharp frame');
  }
  assert.equal(randomCameraPath(Rng.seeded(3), 100, 80, { extent: 9 }), randomCameraPath(Rng.seeded(3), 100, 80, { extent: 9 }));
  assert.not.equal(randomCameraPath(Rng.seeded(3), 100, 80, { extent: 9 }), randomCameraPath(Rng.seeded(4), 100, 80, { extent: 9 }));
});

test('shake blur with integer translations equals the average of shifted images (naive reference)', () => {
  const shifts = [[-2, 0], [-1, 1], [0, 0], [1, 1], [3, -1]] as const;
  const path: CameraPath = { poses: shifts.map(([dx, dy]) => ({ dx, dy, theta: 0 })), width: photo.width, height: photo.height, extent: 0 };
  const win = { left: 10, top: 12, width: 40, height: 30 };
  const { blur } = shakeBlur(photo, path, win);
  let worst = 0;
  for (let y = 0; y < win.height; y++) {
    for (let x = 0; x < win.width; x++) {
      for (let c = 0; c < 3; c++) {
        // Frame i shows the scene moved by (dx, dy): pixel p holds the sharp value at p − d.
        const want = shifts.reduce((s, [dx, dy]) => s + photo.data[((win.top + y - dy) * photo.width + win.left + x - dx) * 3 + c]!, 0) / shifts.length;
        worst = Math.max(worst, Math.abs(blur.data[(y * win.width + x) * 3 + c]! - want));
      }
    }
  }
  assert.ok(worst < 1e-6, `max error ${worst}`);
});

test('rotation moves the corners more than the centre, as applyPose says; a still camera blurs nothing', () => {
  const path: CameraPath = { poses: [{ dx: 0, dy: 0, theta: -0.02 }, { dx: 0, dy: 0, theta: 0.02 }], width: 101, height: 81, extent: 0 };
  const centre = pointSpread(path, 50, 40, 9);
  assert.ok(Math.abs(centre[4 * 9 + 4]! - 1) < 1e-6, 'the centre of rotation stays sharp');
  const corner = pointSpread(path, 0, 0, 9);
  assert.ok(corner[4 * 9 + 4]! < 0.5, 'a corner is smeared');
  const [x, y] = applyPose(path.poses[1]!, 0, 0, 101, 81);
  assert.ok(Math.hypot(x, y) > 1, 'the corner moves by more than a pixel');
  const still: CameraPath = { poses: Array.from({ length: 7 }, () => ({ dx: 0, dy: 0, theta: 0 })), width: photo.width, height: photo.height, extent: 0 };
  const r = shakeBlur(photo, still);
  assert.ok(psnr(r.blur, photo) > 100 && psnr(r.blurGamma, photo) > 80);
});

test('blur_gamma averages in linear light: a black/white edge blurs brighter than the sRGB average', () => {
  const edge = createRaster(20, 4, new Float32Array(20 * 4 * 3).map((_, i) => (Math.floor(i / 3) % 20 < 10 ? 0 : 1)));
  const path: CameraPath = { poses: [{ dx: -1, dy: 0, theta: 0 }, { dx: 1, dy: 0, theta: 0 }], width: 20, height: 4, extent: 2 };
  const r = shakeBlur(edge, path);
  const at = (img: Raster): number => img.data[(1 * 20 + 10) * 3]!; // a pixel that sees half black, half white
  assert.ok(Math.abs(at(r.blur) - 0.5) < 1e-6);
  assert.ok(Math.abs(at(r.blurGamma) - Math.pow(0.5, 1 / 2.2)) < 1e-5, `${at(r.blurGamma)}`);
  const round = fromLinear(toLinear(photo));
  assert.ok(psnr(round, photo) > 100, 'gamma round trip');
});

test('trajectory kernels: sum to 1, centred, as long as asked; convolve matches a naive loop', () => {
  for (let s = 0; s < 5; s++) {
    const traj = randomTrajectory(Rng.seeded('traj', s), { length: 15 });
    let length = 0;
    for (let i = 1; i < traj.x.length; i++) length += Math.hypot(traj.x[i]! - traj.x[i - 1]!, traj.y[i]! - traj.y[i - 1]!);
    assert.ok(Math.abs(length - 15) < 1e-6, `length ${length}`);
    assert.ok(trajectorySpan(traj) <= 15 + 1e-9, 'a path spans at most its length');
    assert.ok(Math.abs(trajectorySpan(withSpan(traj, 9)) - 9) < 1e-9, 'withSpan sets the extent');
    const k = trajectoryKernel(traj);
    const half = (k.size - 1) / 2;
    let sum = 0;
    let cx = 0;
    let cy = 0;
    k.weights.forEach((w, i) => {
      sum += w;
      cx += w * ((i % k.size) - half);
      cy += w * (Math.floor(i / k.size) - half);
    });
    assert.ok(Math.abs(sum - 1) < 1e-5 && Math.abs(cx) < 1e-3 && Math.abs(cy) < 1e-3, `sum ${sum}, centroid (${cx}, ${cy})`);
  }
  const img = createRaster(9, 7, seeded(9 * 7 * 3, 4));
  const kernel = { size: 3, weights: Float32Array.from([0, 0.25, 0, 0.1, 0.3, 0, 0, 0.15, 0.2]) };
  const got = convolve(img, kernel);
  const mirror = (i: number, n: number): number => (i < 0 ? -i - 1 : i >= n ? 2 * n - i - 1 : i);
  for (let y = 0; y < 7; y++) {
    for (let x = 0; x < 9; x++) {
      let want = 0;
      for (let v = 0; v < 3; v++) for (let u = 0; u < 3; u++) want += kernel.weights[v * 3 + u]! * img.data[(mirror(y + v - 1, 7) * 9 + mirror(x + u - 1, 9)) * 3 + 1]!;
      assert.ok(Math.abs(got.data[(y * 9 + x) * 3 + 1]! - want) < 1e-6);
    }
  }
});

test('pairs are reproducible, quantised to 8 bits, textured, and both models blur', () => {
  const a = synthesizePair(photo, Rng.seeded(1), { extent: 12, model: 'shake', crop: { width: 64, height: 48 } });
  const b = synthesizePair(photo, Rng.seeded(1), { extent: 12, model: 'shake', crop: { width: 64, height: 48 } });
  assert.equal(Array.from(a.blur.data), Array.from(b.blur.data));
  assert.ok(a.blur.data.every((v) => Math.abs(v * 255 - Math.round(v * 255)) < 1e-4), 'quantised');
  assert.equal([a.sharp.width, a.sharp.height], [64, 48]);
  assert.ok(texture(a.sharp) >= 0.01);
  const t = synthesizePair(photo, Rng.seeded(1), { extent: 12, model: 'trajectory', crop: { width: 64, height: 48 } });
  for (const p of [a, t]) assert.ok(psnr(p.blur, p.sharp) < 35 && psnr(p.blur, p.sharp) > 15, `PSNR ${psnr(p.blur, p.sharp)}`);
});

test('PSNR falls as the extent grows (same draws at every extent)', () => {
  const rows = psnrByExtent([photo], [2, 6, 12, 24], { crop: 64, draws: 3, seed: 5 });
  const means = rows.map((r) => r.blur.mean);
  for (let i = 1; i < means.length; i++) assert.ok(means[i]! < means[i - 1]!, `${means}`);
  assert.ok(rows.every((r) => r.n === 3 && r.blurGamma.mean < r.blur.mean + 1));
});

test('dihedral: the 8 orientations equal tfjs transpose/reverse, are all different, and k = 4 (transpose) undoes itself', async () => {
  const img = cropRaster(photo, 5, 7, 13, 9); // not square, so a transpose changes the shape
  const seen = new Set<string>();
  for (let k = 0; k < 8; k++) {
    const got = dihedral(img, k);
    const want = tf.tidy(() => {
      let t: tf.Tensor3D = rasterToTensor(img).squeeze([0]);
      if (k & 4) t = t.transpose([1, 0, 2]);
      if (k & 1) t = t.reverse(1);
      if (k & 2) t = t.reverse(0);
      return t;
    });
    assert.equal([got.height, got.width, 3], want.shape);
    assert.equal(Array.from(got.data), Array.from(await want.data()), `k = ${k}`);
    want.dispose();
    seen.add(Array.from(got.data).join(','));
  }
  assert.is(seen.size, 8);
  assert.equal(Array.from(dihedral(dihedral(img, 4), 4).data), Array.from(img.data));
  assert.throws(() => dihedral(img, 8), /0\.\.7/);
});

test('writeSynthDataset with orientations: pairs from turned photos; crops and blur draws as without them', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'orient-'));
  const file = path.join(tmp, 'photo.png');
  await writePng(file, photo);
  const base = { seed: 3, generators: singleGenerator('shake', [4, 8]), longSide: 1280, crop: { width: 48, height: 40 } };
  const src = [{ sequence: 'p', file, split: 'train' as const, count: 6 }];
  const plain = await writeSynthDataset(src, { ...base, out: path.join(tmp, 'plain') });
  const turned = await writeSynthDataset(src, { ...base, out: path.join(tmp, 'turned'), orientations: true });
  const kinds = new Set(turned.map((r: SynthRecord) => r.orientation));
  assert.ok(kinds.size >= 3, `orientations drawn: ${[...kinds]}`);
  for (const [i, r] of turned.entries()) {
    const o = r.orientation!;
    // The frame is the photo turned: its size swaps with a transpose.
    assert.equal([r.frame.width, r.frame.height], o & 4 ? [photo.height, photo.width] : [photo.width, photo.height]);
    // The sharp crop is that window of the turned photo.
    const sharp = (await readRaster(path.join(tmp, 'turned', 'train', 'p', 'sharp', r.file))).raster;
    const want = cropRaster(dihedral(photo, o), r.window.left, r.window.top, 48, 40);
    let worst = 0;
    for (let j = 0; j < want.data.length; j++) worst = Math.max(worst, Math.abs(sharp.data[j]! - want.data[j]!));
    assert.ok(worst <= 0.5 / 255 + 1e-6, `pair ${i}: ${worst}`);
    // Same extent draw as the unturned set (the orientation has its own random stream).
    if (o === 0) assert.equal(r.window, plain[i]!.window);
    assert.is(r.extent, plain[i]!.extent);
  }
  assert.ok(plain.every((r) => r.orientation === undefined));
  fs.rmSync(tmp, { recursive: true });
});

test.run();
