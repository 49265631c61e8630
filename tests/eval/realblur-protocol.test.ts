import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readRaster, writePng } from '../../src/data/image';
import { createRaster, cropRaster, quantize8, type Raster } from '../../src/data/raster';
import { alignToSharp, realBlurUnavailable, scoreAligned } from '../../src/eval/realblur-protocol';
import { psnr } from '../../src/metrics';
import { realLayoutTrees } from '../data/fixtures';

const root = path.resolve(__dirname, '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'realblur-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const missing = realBlurUnavailable();

/** A sharp crop, and the same scene moved 2 px left and 1 px up, darkened by `gain` and rounded to 8 bits. */
async function shiftedPair(gain: number): Promise<{ sharp: Raster; moved: Raster }> {
  const photo = (await readRaster(path.join(root, 'data/images/astronaut.png'))).raster;
  const sharp = cropRaster(photo, 100, 40, 160, 128);
  const c = cropRaster(photo, 102, 41, 160, 128);
  return { sharp, moved: quantize8(createRaster(c.width, c.height, c.data.map((v) => gain * v))) };
}

test('a known shift and gain: the alignment finds them and the aligned score recovers', async () => {
  if (missing) return console.log(`  skipped: ${missing}`);
  const { sharp, moved } = await shiftedPair(0.8);
  const plain = psnr(moved, sharp);
  const a = alignToSharp(moved, sharp);
  // The warp maps the sharp image's pixel (x, y) to (x − 2, y − 1) of the moved one. ECC fits a
  // homography (8 parameters) to 160 × 128 pixels: exact to 0.05 px at the centre, 0.25 px at the corners.
  assert.ok(a.alignment.converged);
  const m = a.alignment.warp;
  const moves = (x: number, y: number): [number, number] => {
    const w = m[6]! * x + m[7]! * y + m[8]!;
    return [(m[0]! * x + m[1]! * y + m[2]!) / w - x, (m[3]! * x + m[4]! * y + m[5]!) / w - y];
  };
  const [cx, cy] = moves(80, 64);
  assert.ok(Math.abs(cx + 2) < 0.05 && Math.abs(cy + 1) < 0.05, `centre moves ${cx}, ${cy}`);
  for (const [x, y] of [[0, 0], [159, 0], [0, 127], [159, 127]] as const) {
    const [dx, dy] = moves(x, y);
    assert.ok(Math.abs(dx + 2) < 0.25 && Math.abs(dy + 1) < 0.25, `corner (${x}, ${y}) moves ${dx}, ${dy}`);
  }
  assert.ok(Math.abs(a.alignment.gain - 1 / 0.8) < 0.02, `gain ${a.alignment.gain}`);
  // The uncovered part is the 2-pixel column and 1-pixel row the shift brings in.
  const expected = (158 * 127) / (160 * 128);
  assert.ok(Math.abs(a.alignment.coverage - expected) < 0.01, `coverage ${a.alignment.coverage} vs ${expected}`);
  const s = scoreAligned(moved, sharp);
  assert.ok(plain < 25, `unaligned PSNR ${plain}`);
  assert.ok(s.psnr > 42, `aligned PSNR ${s.psnr} (unaligned ${plain})`);
  assert.ok(s.ssim! > 0.99, `aligned SSIM ${s.ssim}`);
});

test("masked PSNR and SSIM equal RealBlur's script run with scikit-image (1e-4)", async () => {
  if (missing) return console.log(`  skipped: ${missing}`);
  const { sharp, moved } = await shiftedPair(0.9);
  const blurred = (await readRaster(path.join(root, 'data/sample/real/clock_motion.png'))).raster;
  // A real photo against a shifted copy of itself with a little noise: a second, less exact case.
  const clock = cropRaster(blurred, 20, 30, 120, 100);
  const noisy = quantize8(createRaster(120, 100, cropRaster(blurred, 21, 29, 120, 100).data.map((v, i) => v + 0.02 * Math.sin(i))));
  for (const [name, image, target] of [['astronaut', moved, sharp], ['clock', noisy, clock]] as const) {
    const fa = path.join(tmp, `${name}-restored.png`);
    const fb = path.join(tmp, `${name}-sharp.png`);
    await writePng(fa, image);
    await writePng(fb, target);
    const r = spawnSync('/usr/bin/python3', [path.join(root, 'tests/python/realblur_reference.py'), fa, fb], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    const ref = JSON.parse(r.stdout) as { psnr: number; ssim: number; warp: number[] };
    const lab = scoreAligned((await readRaster(fa)).raster, (await readRaster(fb)).raster);
    assert.ok(Math.abs(lab.psnr - ref.psnr) < 1e-4, `${name}: PSNR ${lab.psnr} vs ${ref.psnr}`);
    assert.ok(Math.abs(lab.ssim! - ref.ssim) < 1e-4, `${name}: SSIM ${lab.ssim} vs ${ref.ssim}`);
    for (const [k, v] of lab.alignment.warp.entries()) assert.ok(Math.abs(v - ref.warp[k]!) < 1e-3, `${name}: warp ${lab.alignment.warp} vs ${ref.warp}`);
  }
});

test('where ECC fails the image is scored unaligned, and says so', async () => {
  if (missing) return console.log(`  skipped: ${missing}`);
  const { sharp } = await shiftedPair(1);
  const flat = createRaster(sharp.width, sharp.height, new Float32Array(sharp.data.length).fill(0.5));
  const s = scoreAligned(flat, sharp);
  assert.is(s.alignment.converged, false);
  assert.ok(s.alignment.error && s.alignment.error.length > 0);
  assert.equal(s.alignment.warp, [1, 0, 0, 0, 1, 0, 0, 0, 1]);
  assert.is(s.alignment.coverage, 1);
  const gained = createRaster(flat.width, flat.height, flat.data.map((v) => v * s.alignment.gain));
  assert.ok(Math.abs(s.psnr - psnr(gained, sharp)) < 1e-3, 'unaligned: the whole image, after the gain');
});

test('eval on a RealBlur tree scores by the protocol by default; --protocol whole and refusals', async () => {
  if (missing) return console.log(`  skipped: ${missing}`);
  const photo = (await readRaster(path.join(root, 'data/images/astronaut.png'))).raster;
  const base = 'RealBlur-J_ECC_IMCORR_centroid_itensity_ref';
  const lines: string[] = [];
  for (const [k, [x, y]] of [[1, [100, 40]], [2, [300, 300]]] as const) {
    const gt = `${base}/scene001/gt/gt_${k}.png`;
    const blur = `${base}/scene001/blur/blur_${k}.png`;
    await fs.promises.mkdir(path.join(tmp, 'rb', path.dirname(gt)), { recursive: true });
    await fs.promises.mkdir(path.join(tmp, 'rb', path.dirname(blur)), { recursive: true });
    await writePng(path.join(tmp, 'rb', gt), cropRaster(photo, x, y, 128, 112));
    await writePng(path.join(tmp, 'rb', blur), cropRaster(photo, x + 1, y + 2, 128, 112)); // the second camera, 1–2 px off
    lines.push(`${gt} ${blur} `);
  }
  fs.writeFileSync(path.join(tmp, 'rb', 'RealBlur_J_test_list.txt'), lines.join('\n'));
  const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin', 'deblur-lab.js'), 'eval', '--data', path.join(tmp, 'rb'), '--weights', 'weights/lite-canonical', '--no-baselines', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, DEBLUR_BACKEND: 'wasm' } });
  const aligned = cli('--json');
  assert.is(aligned.status, 0, aligned.stderr);
  const a = JSON.parse(aligned.stdout) as { convention: string; psnr: { input: number }; images: Array<{ alignment: { input: { converged: boolean; warp: number[] } } }> };
  assert.match(a.convention, /RealBlur's protocol/);
  assert.is(a.images.length, 2);
  for (const i of a.images) {
    assert.ok(i.alignment.input.converged);
    // ECC's homography on 128 × 112 pixels: within a tenth of a pixel of the (−1, −2) translation.
    assert.ok(Math.abs(i.alignment.input.warp[2]! + 1) < 0.1 && Math.abs(i.alignment.input.warp[5]! + 2) < 0.1, `input warp ${i.alignment.input.warp}`);
  }
  const whole = cli('--json', '--protocol', 'whole');
  assert.is(whole.status, 0, whole.stderr);
  const w = JSON.parse(whole.stdout) as { convention: string; psnr: { input: number }; images: Array<{ alignment?: unknown }> };
  assert.ok(!/RealBlur/.test(w.convention) && w.images.every((i) => i.alignment === undefined));
  assert.ok(a.psnr.input > w.psnr.input + 10, `the misaligned "blur" scores far higher once aligned (${a.psnr.input} vs ${w.psnr.input})`);
  const scales = cli('--scales');
  assert.is(scales.status, 2);
  assert.match(scales.stderr, /--protocol whole for per-scale scores/);
  assert.not.match(scales.stderr, /\n\s+at /, 'no stack trace');
  const bad = cli('--protocol', 'aligned');
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /--protocol must be whole or realblur/);
});

test('the real layouts as downloaded: eval picks RealBlur-J or -R by --realblur and scores it by the protocol; GOPRO_Large by its folders', async () => {
  if (missing) return console.log(`  skipped: ${missing}`);
  const trees = realLayoutTrees(path.join(root, 'data', 'sample'), path.join(tmp, 'real-layouts'), 2);
  const evalOn = (...args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin', 'deblur-lab.js'), 'eval', '--weights', 'weights/lite-canonical', '--no-baselines', '--json', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, DEBLUR_BACKEND: 'wasm' } });
  type Report = { dataset: { description: string }; convention: string; n: number; images: Array<{ id: string; psnr: { input: number } }> };
  const runs: Record<string, Report> = {};
  for (const [name, args] of [['J', ['--data', trees.realblur]], ['R', ['--data', trees.realblur, '--realblur', 'R']], ['gopro', ['--data', trees.gopro, '--protocol', 'realblur']]] as const) {
    const r = evalOn(...args);
    assert.is(r.status, 0, r.stderr);
    runs[name] = JSON.parse(r.stdout) as Report;
  }
  assert.match(runs.J!.dataset.description, /RealBlur-J test split \(RealBlur_J_test_list\.txt\)/);
  assert.match(runs.R!.dataset.description, /RealBlur-R test split \(RealBlur_R_test_list\.txt\)/);
  assert.ok(runs.R!.images.every((i) => i.id.startsWith('RealBlur-R_BM3D_ECC_IMCORR_centroid_itensity_ref/')), 'R\'s pairs');
  assert.match(runs.R!.convention, /RealBlur's protocol/);
  assert.is(runs.R!.n, 2);
  // The same images by the same protocol: J's inputs are the sample's blur/, as in the GoPro tree; R's are its blur_gamma/.
  const inputs = (r: Report) => r.images.map((i) => i.psnr.input.toFixed(6));
  assert.equal(inputs(runs.J!), inputs(runs.gopro!));
  assert.match(runs.gopro!.dataset.description, /GoPro test split, blur\/ \(\d sequences\)/);
  assert.not.equal(inputs(runs.J!), inputs(runs.R!));
  for (const [args, message] of [[['--data', trees.realblur, '--realblur', 'X'], /--realblur must be J or R \(got X\)/], [['--data', trees.gopro, '--realblur', 'R'], /--realblur R picks one of RealBlur's lists; .* is in the gopro layout/]] as const) {
    const bad = evalOn(...args);
    assert.is(bad.status, 2, bad.stderr);
    assert.match(bad.stderr, message);
    assert.not.match(bad.stderr, /\n\s+at /, 'no stack trace');
  }
});

test.run();
