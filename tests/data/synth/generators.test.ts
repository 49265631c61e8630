import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readRaster, writePng } from '../../../src/data/image';
import { createRaster, cropRaster, type Raster } from '../../../src/data/raster';
import { addSensorNoise, boostHighlights, jpegRoundTrip, type CameraEffects } from '../../../src/data/synth/camera-effects';
import { cornerExtent, randomCameraPath } from '../../../src/data/synth/camera-path';
import { diskKernel } from '../../../src/data/synth/defocus';
import { defocusShare, withDepthOfField, type DepthOfField } from '../../../src/data/synth/depth-of-field';
import { BOKEH_TRAINING, drawGenerator, GRAIN_TRAINING, LENS_TRAINING, MIXED_TRAINING, YARDSTICK_GENERATORS, type GeneratorDraw, type WeightedGenerator } from '../../../src/data/synth/generators';
import { handheldPath } from '../../../src/data/synth/handheld-path';
import { synthesizePair, texture } from '../../../src/data/synth/synthesize';
import { writeSynthDataset, type SynthRecord } from '../../../src/data/synth/write-dataset';
import { psnr } from '../../../src/metrics';
import { Rng } from '../../../src/random';

let photo: Raster;
const drawMany = (mix: readonly WeightedGenerator[], n: number): GeneratorDraw[] => Array.from({ length: n }, (_, i) => drawGenerator(mix, Rng.seeded('draws', i)));
test.before(async () => {
  photo = cropRaster((await readRaster('data/images/astronaut.png')).raster, 64, 32, 256, 224);
});

test('defocus disk: sums to 1, round, its weights the share of each pixel inside the circle (an exact integral, to 1%)', () => {
  for (const d of [0.5, 3, 6.4, 11]) {
    const k = diskKernel(d);
    const half = (k.size - 1) / 2;
    assert.ok(Math.abs(k.weights.reduce((a, b) => a + b, 0) - 1) < 1e-5, `d ${d}: sum`);
    // The area of the unit-spaced pixel squares inside radius r is πr²: weights are coverage / πr².
    const r = d / 2;
    if (r >= 1) {
      for (let v = 0; v < k.size; v++) {
        for (let u = 0; u < k.size; u++) {
          // Coverage by a fine grid (200² samples per pixel): independent of the 16² the kernel uses.
          let inside = 0;
          const n = 200;
          for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) if ((u - half - 0.5 + (i + 0.5) / n) ** 2 + (v - half - 0.5 + (j + 0.5) / n) ** 2 <= r * r) inside++;
          const want = inside / (n * n) / (Math.PI * r * r);
          assert.ok(Math.abs(k.weights[v * k.size + u]! - want) < 0.01 * Math.max(...k.weights), `d ${d} (${u}, ${v}): ${k.weights[v * k.size + u]} vs ${want}`);
        }
      }
    }
    assert.equal(k.weights[half * k.size + half - 1], k.weights[half * k.size + half + 1], 'symmetric');
  }
  assert.ok(diskKernel(0).weights[4]! === 1, 'no blur');
});

test('GoPro-style paths: 7–13 frames, extent as asked, the sharp image is the middle frame (not the mean pose)', () => {
  let offCentre = 0;
  for (let s = 0; s < 20; s++) {
    const p = handheldPath(Rng.seeded('hh', s), 320, 240, { extent: 10 + s });
    assert.ok(p.poses.length >= 7 && p.poses.length <= 13);
    assert.ok(Math.abs(cornerExtent(p.poses, 320, 240) - (10 + s)) < 1e-3, `extent ${p.extent}`);
    const mid = p.poses[Math.floor((p.poses.length - 1) / 2)]!;
    assert.equal([mid.dx, mid.dy, mid.theta], [0, 0, 0]);
    const meanDx = p.poses.reduce((m, q) => m + q.dx / p.poses.length, 0);
    const meanDy = p.poses.reduce((m, q) => m + q.dy / p.poses.length, 0);
    if (Math.hypot(meanDx, meanDy) > 0.2) offCentre++;
  }
  assert.ok(offCentre >= 10, `most streaks are off the sharp frame's centre (${offCentre} of 20)`);
  const mean = randomCameraPath(Rng.seeded(1), 320, 240, { extent: 20 });
  const middle = randomCameraPath(Rng.seeded(1), 320, 240, { extent: 20, sharpFrame: 'middle' });
  const m = middle.poses[Math.floor((middle.poses.length - 1) / 2)]!;
  assert.equal([m.dx, m.dy, m.theta], [0, 0, 0], "the lab's shake takes the middle-frame convention when asked");
  assert.not.equal(mean.poses, middle.poses);
});

test('camera effects: highlights leave values under the threshold alone; noise has variance shot·x + read²; JPEG loses more at lower quality', async () => {
  const grey = (v: number): Raster => createRaster(64, 64, new Float32Array(64 * 64 * 3).fill(v));
  const h = { threshold: 0.7, gain: 4 };
  assert.is(boostHighlights(grey(0.5), h).data[0], 0.5);
  assert.ok(Math.abs(boostHighlights(grey(1), h).data[0]! - 4) < 1e-6, 'white becomes gain × white');
  const mid = boostHighlights(grey(0.85), h).data[0]!;
  assert.ok(mid > 0.85 && mid < 0.85 * 4);
  for (const x of [0.05, 0.3]) {
    const n = { shot: 4e-3, read: 2e-3 };
    const noisy = addSensorNoise(grey(x), n, Rng.seeded('noise', x));
    const mean = noisy.data.reduce((a, b) => a + b, 0) / noisy.data.length;
    const variance = noisy.data.reduce((a, b) => a + (b - mean) ** 2, 0) / noisy.data.length;
    const want = n.shot * x + n.read ** 2;
    assert.ok(Math.abs(mean - x) < 0.003 && Math.abs(variance / want - 1) < 0.1, `x ${x}: mean ${mean}, variance ${variance} vs ${want}`);
  }
  const q60 = psnr(await jpegRoundTrip(photo, 60), photo);
  const q95 = psnr(await jpegRoundTrip(photo, 95), photo);
  assert.ok(q95 > q60 + 3 && q60 > 25, `JPEG 60: ${q60} dB, 95: ${q95} dB`);
});

test('a pair with camera effects: the sharp image keeps its clipped highlights, the input is blurred, noisy and compressed', async () => {
  const camera: CameraEffects = { highlights: { threshold: 0.6, gain: 5 }, noise: { shot: 2e-3, read: 1e-3 }, jpeg: 80 };
  const plain = synthesizePair(photo, Rng.seeded(2), { extent: 10, model: 'gopro', crop: { width: 96, height: 96 } });
  const made = synthesizePair(photo, Rng.seeded(2), { extent: 10, model: 'gopro', crop: { width: 96, height: 96 }, camera });
  assert.equal(made.window, plain.window, 'the same window and path as without effects');
  assert.ok(made.sharp.data.every((v, i) => v >= plain.sharp.data[i]! - 1e-6), 'highlights only brighten the sharp image');
  assert.ok(psnr(made.blur, plain.blur) < 40, 'the effects change the input');
  assert.is(made.blur, made.blurGamma, 'one camera image');
});

test('grain: the sharp image keeps the sensor noise (variance shot·x + read² in linear light, inside the reach only), the blur averages it; a mixture draws it only where it asks and where there is noise', () => {
  const noise = { shot: 2e-3, read: 1e-3 };
  const camera: CameraEffects = { highlights: null, noise, jpeg: null };
  const flat = createRaster(160, 160, new Float32Array(160 * 160 * 3).fill(0.5));
  const still = synthesizePair(flat, Rng.seeded(4), { extent: 0, model: 'none', crop: { width: 64, height: 64 }, keepFlat: true, camera, grain: true });
  assert.is(still.grain, true);
  assert.equal(Array.from(still.blur.data), Array.from(still.sharp.data), 'no blur: the input is the grainy sharp image itself');
  const linear = still.sharp.data.map((v) => Math.pow(v, 2.2));
  const x = Math.pow(0.5, 2.2);
  const mean = linear.reduce((a, b) => a + b, 0) / linear.length;
  const variance = linear.reduce((a, b) => a + (b - mean) ** 2, 0) / linear.length;
  const want = noise.shot * x + noise.read ** 2;
  assert.ok(Math.abs(variance / want - 1) < 0.15, `grain variance ${variance} vs ${want} (8-bit quantisation and the gamma approximation within 15%)`);
  const moving = synthesizePair(flat, Rng.seeded(4), { extent: 12, model: 'trajectory', crop: { width: 64, height: 64 }, keepFlat: true, camera, grain: true });
  const spread = (r: Raster): number => {
    const m = r.data.reduce((a, b) => a + b, 0) / r.data.length;
    return r.data.reduce((a, b) => a + (b - m) ** 2, 0) / r.data.length;
  };
  assert.ok(spread(moving.blur) < spread(moving.sharp) / 3, `the blur averages the grain: ${spread(moving.blur)} vs ${spread(moving.sharp)}`);
  const apart = synthesizePair(flat, Rng.seeded(4), { extent: 12, model: 'trajectory', crop: { width: 64, height: 64 }, keepFlat: true, camera });
  assert.is(apart.grain, undefined);
  assert.ok(spread(apart.sharp) < 1e-9 && spread(apart.blur) > spread(moving.blur), 'without grain the sharp image is clean and the noise on the input alone');
  const withGrain = drawMany(GRAIN_TRAINING, 600);
  const share = withGrain.filter((d) => d.grain).length / withGrain.length;
  assert.ok(withGrain.every((d) => !d.grain || d.camera?.noise), 'grain only where the camera has noise');
  assert.ok(share > 0.2 && share < 0.35, `share of grain pairs ${share} (1/2 · 0.8 · 2/3 ≈ 0.27)`);
  assert.not.ok(drawMany(BOKEH_TRAINING, 300).some((d) => d.grain), 'older mixtures never draw it');
});

test('depth of field: the out-of-focus side is the disk-blurred scene blended in linear light (a naive sum, to 1e-5); the in-focus side and the frame beyond the reach untouched', () => {
  const window = { left: 80, top: 60, width: 64, height: 48 };
  const d: DepthOfField = { diameter: 5, whole: false, angle: 0.3, offset: 0.1, softness: 6 };
  const out = withDepthOfField(photo, window, 10, d);
  const k = diskKernel(d.diameter);
  const half = (k.size - 1) / 2;
  const lin = (v: number): number => Math.pow(v, 2.2);
  let outOfFocus = 0;
  let inFocus = 0;
  for (let y = window.top - 10; y < window.top + window.height + 10; y += 3) {
    for (let x = window.left - 10; x < window.left + window.width + 10; x += 3) {
      const m = defocusShare(d, x - window.left, y - window.top, window.width, window.height);
      for (let c = 0; c < 3; c++) {
        let soft = 0;
        for (let v = 0; v < k.size; v++) for (let u = 0; u < k.size; u++) soft += k.weights[v * k.size + u]! * lin(photo.data[((y + v - half) * photo.width + (x + u - half)) * 3 + c]!);
        const sharp = photo.data[(y * photo.width + x) * 3 + c]!;
        const want = m < 1e-4 ? sharp : Math.pow((1 - m) * lin(sharp) + m * soft, 1 / 2.2);
        assert.ok(Math.abs(out.data[(y * photo.width + x) * 3 + c]! - want) < 1e-5, `(${x}, ${y}, ${c}): ${out.data[(y * photo.width + x) * 3 + c]} vs ${want}`);
      }
      if (m > 0.99) outOfFocus++;
      if (m < 0.01) inFocus++;
    }
  }
  assert.ok(outOfFocus > 20 && inFocus > 20, `both sides seen: ${outOfFocus} out of focus, ${inFocus} in focus`);
  const far = (photo.height - 1) * photo.width * 3;
  assert.is(out.data[far], photo.data[far], 'beyond the reach: the frame as it was');
  assert.ok(withDepthOfField(photo, window, 0, { ...d, whole: true }).data.some((v, i) => Math.abs(v - photo.data[i]!) > 0.01), 'whole: changed');
});

test('a pair from a scene partly out of focus: the sharp image keeps the defocus, the blur is made from that scene', () => {
  const dof: DepthOfField = { diameter: 8, whole: true, angle: 0, offset: 0, softness: 4 };
  const plain = synthesizePair(photo, Rng.seeded(5), { extent: 10, model: 'shake', crop: { width: 96, height: 96 } });
  const lens = synthesizePair(photo, Rng.seeded(5), { extent: 10, model: 'shake', crop: { width: 96, height: 96 }, depthOfField: dof });
  assert.equal(lens.window, plain.window);
  assert.ok(texture(lens.sharp) < 0.7 * texture(plain.sharp), `the sharp image is soft: texture ${texture(lens.sharp)} vs ${texture(plain.sharp)}`);
  const scene = withDepthOfField(photo, lens.window, 14, dof);
  assert.equal(Array.from(lens.sharp.data), Array.from(cropRaster(scene, lens.window.left, lens.window.top, 96, 96).data), 'sharp = the scene\'s crop');
  assert.is(lens.depthOfField, dof);
  // The lens mixture: no defocused inputs, and some scenes out of focus, recorded per pair.
  assert.ok(LENS_TRAINING.every((m) => m.generator.model !== 'defocus' && m.generator.depthOfField! > 0));
  let drawn = 0;
  for (let s = 0; s < 60; s++) if (drawGenerator(LENS_TRAINING, Rng.seeded(s)).depthOfField) drawn++;
  assert.ok(drawn >= 10 && drawn <= 32, `${drawn} of 60 draws out of focus (a third asked)`);
  // The older mixture's draws are as they were: no depth of field, the same stream.
  for (let s = 0; s < 20; s++) assert.not.ok(drawGenerator(MIXED_TRAINING, Rng.seeded(s)).depthOfField);
  // The bokeh mixture: half the scenes, disks over 2–40 px (the lens mixture's stay within 2–12).
  const bokeh = Array.from({ length: 400 }, (_, s) => drawGenerator(BOKEH_TRAINING, Rng.seeded(s)).depthOfField).filter((d): d is DepthOfField => d !== undefined);
  assert.ok(bokeh.length >= 170 && bokeh.length <= 230, `${bokeh.length} of 400 draws out of focus (half asked)`);
  const diameters = bokeh.map((d) => d.diameter);
  assert.ok(Math.min(...diameters) >= 2 && Math.max(...diameters) <= 40 && diameters.filter((d) => d > 12).length > bokeh.length / 2, `diameters ${Math.min(...diameters).toFixed(1)}–${Math.max(...diameters).toFixed(1)} px`);
  const lensDiameters = Array.from({ length: 200 }, (_, s) => drawGenerator(LENS_TRAINING, Rng.seeded(s)).depthOfField?.diameter).filter((d): d is number => d !== undefined);
  assert.ok(Math.max(...lensDiameters) <= 12, 'the lens mixture is unchanged');
});

test('a mixture: every pair names its generator; the shares follow the weights; no input equals its sharp image', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mix-'));
  const file = path.join(tmp, 'photo.png');
  await writePng(file, photo);
  const records: SynthRecord[] = await writeSynthDataset([{ sequence: 'p', file, split: 'train', count: 60 }], {
    out: path.join(tmp, 'set'),
    seed: 4,
    generators: MIXED_TRAINING,
    longSide: 1280,
    crop: { width: 48, height: 48 },
    keepFlat: true,
    extentInFramePixels: true,
  });
  const names = MIXED_TRAINING.map((m) => m.generator.name);
  assert.ok(records.every((r) => r.generator !== undefined && names.includes(r.generator)));
  const none = records.filter((r) => r.generator === 'none');
  assert.ok(none.length >= 2 && none.length <= 15, `${none.length} of 60 unblurred (weight 0.1)`);
  assert.ok(records.every((r) => Number.isFinite(r.psnr.blur)), 'every input differs from its sharp image');
  assert.ok(none.every((r) => r.camera?.jpeg != null || r.sharpJpeg !== undefined), 'an unblurred input is stored as a JPEG');
  assert.ok(records.some((r) => r.camera) && records.some((r) => !r.camera), 'camera effects on some pairs');
  assert.ok(records.some((r) => r.average === 'linear') && records.some((r) => r.average === 'srgb'));
  const manifest = JSON.parse(fs.readFileSync(path.join(tmp, 'set', 'synth.json'), 'utf8')) as { generators: Array<{ name: string }> };
  assert.equal(manifest.generators.map((g) => g.name), names);
  fs.rmSync(tmp, { recursive: true });
});

test('keepFlat draws the window once (flat or not); by default flat windows are redrawn', () => {
  const flat = createRaster(200, 200, new Float32Array(200 * 200 * 3).map((_, i) => (Math.floor(i / 3) % 200 < 150 ? 0.5 : (i % 7) / 7)));
  let kept = 0;
  let redrawn = 0;
  for (let s = 0; s < 10; s++) {
    if (texture(synthesizePair(flat, Rng.seeded(s), { extent: 4, model: 'none', crop: { width: 40, height: 40 }, keepFlat: true }).sharp) < 0.01) kept++;
    if (texture(synthesizePair(flat, Rng.seeded(s), { extent: 4, model: 'none', crop: { width: 40, height: 40 } }).sharp) < 0.01) redrawn++;
  }
  assert.ok(kept >= 3 && redrawn === 0, `flat windows kept ${kept}, left after redrawing ${redrawn}`);
});

test('the yardstick holds out the whole gopro family from every training mixture', () => {
  const training = new Set(MIXED_TRAINING.map((m) => m.generator.model + m.generator.family));
  for (const g of YARDSTICK_GENERATORS.filter((y) => y.family === 'gopro')) assert.not.ok(training.has(g.model + g.family), g.name);
  assert.ok(MIXED_TRAINING.every((m) => m.generator.model !== 'gopro'));
});

test.run();
