import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { deadLeaves, deadLeavesDisks, powerLawRadius, renderDisks, type Disk } from '../../../src/data/synth/dead-leaves';
import { readRaster } from '../../../src/data/image';
import { Rng } from '../../../src/random';
import { deadLeavesScenes, lensSigma, paletteOf } from '../../../scripts/dead-leaves-scenes';

const palette = new Uint8Array([200, 30, 40, 20, 180, 60, 10, 40, 220, 240, 240, 240, 15, 15, 15]);

test('radii follow p(r) ∝ r^−3: counts in [r, 1.1r) fall as 1/r² (histogram of 200k draws, to 5%, 15% for the sparsest bin)', () => {
  const rng = Rng.seeded('radii');
  const n = 200_000;
  const bins = [2, 4, 8, 16].map(() => 0);
  for (let i = 0; i < n; i++) {
    const r = powerLawRadius(rng.uniform(), 1, 400, 3);
    [2, 4, 8, 16].forEach((a, k) => {
      if (r >= a && r < 1.1 * a) bins[k]! += 1;
    });
  }
  // ∫ r^−3 over [a, 1.1a] ∝ a^−2, so each doubling of a divides the count by 4.
  for (let k = 1; k < bins.length; k++) {
    const ratio = bins[k - 1]! / bins[k]!;
    assert.ok(Math.abs(ratio / 4 - 1) < (k < 3 ? 0.05 : 0.15), `bins ${k - 1}/${k}: ${ratio.toFixed(2)}, not 4`);
  }
});

test('disks front to back match a 16×16-supersampled rendering where the first disk hit wins (mean error < 0.5 levels)', () => {
  const [w, h] = [48, 40];
  const rng = Rng.seeded('disks');
  const disks: Disk[] = Array.from({ length: 60 }, () => ({
    cx: rng.uniform(-5, w + 5),
    cy: rng.uniform(-5, h + 5),
    r: rng.uniform(0.7, 14),
    rgb: [rng.int(0, 255), rng.int(0, 255), rng.int(0, 255)] as const,
    shade: [0, 0] as const,
  }));
  disks.push({ cx: w / 2, cy: h / 2, r: 100, rgb: [128, 128, 128], shade: [0, 0] }); // the background, last
  const { rgb, transmittance } = renderDisks(disks, w, h);
  const s = 16;
  let sum = 0;
  let worst = 0;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const acc = [0, 0, 0];
      for (let j = 0; j < s; j++)
        for (let i = 0; i < s; i++) {
          const px = x + (i + 0.5) / s;
          const py = y + (j + 0.5) / s;
          const d = disks.find((q) => (px - q.cx) ** 2 + (py - q.cy) ** 2 < q.r ** 2)!;
          for (let c = 0; c < 3; c++) acc[c]! += d.rgb[c]! / (s * s);
        }
      assert.ok(transmittance[y * w + x]! < 1e-6, 'the background covers every pixel');
      for (let c = 0; c < 3; c++) {
        const e = Math.abs(acc[c]! - rgb[(y * w + x) * 3 + c]!);
        sum += e;
        worst = Math.max(worst, e);
      }
    }
  const mean = sum / (w * h * 3);
  assert.ok(mean < 0.5, `mean error ${mean.toFixed(3)} levels`);
  // Where several edges cross one pixel the per-disk coverage is an approximation: bounded, not exact.
  assert.ok(worst < 60, `worst pixel ${worst.toFixed(1)} levels`);
});

test('a dead-leaves scene: covered everywhere, the same for a seed, another for another seed, its colours from the palette', () => {
  const o = { width: 96, height: 64, palette };
  const a = deadLeaves({ ...o, seed: 1 });
  assert.equal(a, deadLeaves({ ...o, seed: 1 }));
  assert.not.equal(a, deadLeaves({ ...o, seed: 2 }));
  const { transmittance } = renderDisks(deadLeavesDisks({ ...o, seed: 1 }), o.width, o.height, 1 / 1024);
  assert.ok(transmittance.every((t) => t <= 1 / 1024), 'every pixel covered');
  // Pixel colours are blends of palette colours plus a shading: the mean stays near the palette's own.
  const mean = (xs: Uint8Array, c: number): number => xs.filter((_, i) => i % 3 === c).reduce((p, q) => p + q, 0) / (xs.length / 3);
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(mean(a, c) - mean(palette, c)) < 45, `channel ${c}: ${mean(a, c).toFixed(0)} vs ${mean(palette, c).toFixed(0)}`);
  assert.throws(() => deadLeaves({ ...o, seed: 1, palette: new Uint8Array([1, 2]) }), /whole RGB triplets/);
});

test('scenes for data:train: written once as PNG, found again, named by seed, size and the photos\' colours', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dead-leaves-'));
  try {
    const photos = ['data/images/astronaut.png'];
    const size = { width: 160, height: 128 };
    const first = await deadLeavesScenes(7, photos, 2, size, dir);
    assert.is(first.length, 2);
    const img = await readRaster(first[0]!.file);
    assert.equal([img.raster.width, img.raster.height], [160, 128]);
    // Softened as a lens would: the crisp scene through a Gaussian of the scene's σ, computed here
    // as a naive 2-D convolution (interior pixels, to within 1.5 levels; libvips rounds its kernel).
    const crisp = deadLeaves({ ...size, seed: '7:0', palette: await paletteOf(photos) });
    const soft = await sharp(first[0]!.file).raw().toBuffer();
    const sigma = lensSigma(7, 0);
    const radius = Math.ceil(4 * sigma);
    const taps = Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
    const norm = taps.reduce((p, q) => p + q, 0);
    const at = (y: number, x: number, c: number): number => crisp[(y * size.width + x) * 3 + c]!;
    let worst = 0;
    let changed = 0;
    for (let y = radius; y < size.height - radius; y++)
      for (let x = radius; x < size.width - radius; x++)
        for (let c = 0; c < 3; c++) {
          let v = 0;
          for (let j = -radius; j <= radius; j++) for (let i = -radius; i <= radius; i++) v += taps[j + radius]! * taps[i + radius]! * at(y + j, x + i, c);
          v /= norm * norm;
          worst = Math.max(worst, Math.abs(v - soft[(y * size.width + x) * 3 + c]!));
          if (soft[(y * size.width + x) * 3 + c] !== at(y, x, c)) changed++;
        }
    assert.ok(worst <= 1.5, `σ ${sigma.toFixed(2)}: worst difference from a naive Gaussian ${worst.toFixed(2)} levels`);
    assert.ok(changed > 0.2 * size.width * size.height * 3, `only ${changed} values changed: not softened`);
    const stamp = fs.statSync(first[1]!.file).mtimeMs;
    const again = await deadLeavesScenes(7, photos, 2, size, dir);
    assert.equal(again.map((x) => x.file), first.map((x) => x.file));
    assert.is(fs.statSync(again[1]!.file).mtimeMs, stamp, 'a scene on disk is not drawn again');
    const red = path.join(dir, 'red.png');
    await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 255, g: 0, b: 0 } } }).png().toFile(red);
    const other = await deadLeavesScenes(7, [...photos, red], 1, size, dir);
    assert.not.equal(path.dirname(other[0]!.file), path.dirname(first[0]!.file), 'other photos, other colours, another folder');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
